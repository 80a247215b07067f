import { describe, expect, it } from 'vitest';
import { tributary } from '../tributary.js';

describe('tributary rebuild', () => {
  it.each([
    [[]],
    [['pipeline.yaml']],
    [['pipeline.yaml', 'no-slash']],
    [['p.yaml', 'a/b"; drop']],
    [['p.yaml', 'a/b', 'extra']],
  ])('refuses %j with the usage and exit code 2', async (args) => {
    const { code, err } = await tributary(['rebuild', ...args]);
    expect(code).toBe(2);
    expect(err).toContain('Usage: tributary rebuild');
  });
});
