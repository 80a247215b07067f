import { describe, expect, it } from 'vitest';
import { rebuildCommand } from './rebuild.js';

describe('tributary rebuild', () => {
  it.each([
    [[]],
    [['pipeline.yaml']],
    [['pipeline.yaml', 'no-slash']],
    [['p.yaml', 'a/b"; drop']],
    [['p.yaml', 'a/b', 'extra']],
  ])('refuses %j with the usage and exit code 2', async (args) => {
    const errors: string[] = [];
    expect(await rebuildCommand(args, { err: (line) => errors.push(line), out: () => undefined })).toBe(2);
    expect(errors.join('\n')).toContain('Usage: tributary rebuild');
  });
});
