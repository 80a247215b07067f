import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineCommand, type CommandSpec } from './command.js';
import { commands } from './commands/index.js';
import { dispatch } from './dispatch.js';
import { registry } from './registry.js';
import { tributary } from './tributary.js';

/** Every real command, with a run that fails the test if it is ever called. */
const guarded = commands.map((c) => ({
  ...c,
  run: () => {
    throw new Error(`${c.name} ran`);
  },
}));

const version = () => '0.0.0';
let printed: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  printed = [];
});

function capture(): void {
  const record = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  vi.spyOn(console, 'log').mockImplementation(record);
  vi.spyOn(console, 'error').mockImplementation(record);
}

describe('the command layer', () => {
  it.each(commands.map((c) => [c.name]))(
    'answers `%s --help` with its usage and runs nothing',
    async (name) => {
      capture();
      const code = await dispatch([...name.split(' '), '--help'], guarded, registry, version);
      expect(code).toBe(0);
      expect(printed.join('\n')).toContain(`Usage: tributary ${name}`);
    },
  );

  it.each(commands.map((c) => [c.name]))(
    'refuses an unknown option of `%s` with exit 2 and its usage',
    async (name) => {
      capture();
      const code = await dispatch([...name.split(' '), '--no-such-option'], guarded, registry, version);
      expect(code).toBe(2);
      expect(printed.join('\n')).toMatch(/Unknown option '--no-such-option'/);
    },
  );

  it('finds --help after positional arguments and other options', async () => {
    capture();
    expect(await dispatch(['run', 'a.yaml', '--workers', '2', '-h'], guarded, registry, version)).toBe(0);
  });

  it('refuses too few or too many arguments with exit 2', async () => {
    capture();
    expect(await dispatch(['rewind'], guarded, registry, version)).toBe(2);
    expect(await dispatch(['xform', 'parse', 'a.xml', 'b.xml'], guarded, registry, version)).toBe(2);
    expect(printed.join('\n')).toContain('expected at most 1 argument');
  });

  it('lists the subcommands of a group, exit 2 without one and 0 with --help', async () => {
    capture();
    expect(await dispatch(['dlq'], guarded, registry, version)).toBe(2);
    expect(await dispatch(['dlq', '--help'], guarded, registry, version)).toBe(0);
    expect(printed.join('\n')).toContain('tributary dlq <list|replay|discard>');
  });

  it('exits 2 on an unknown command and 0 on no command at all', async () => {
    capture();
    expect(await dispatch(['frobnicate'], guarded, registry, version)).toBe(2);
    expect(await dispatch([], guarded, registry, version)).toBe(0);
    expect(printed.join('\n')).toContain("unknown command 'frobnicate'");
  });

  it('hands the parsed options and positionals to the command', async () => {
    let seen: unknown;
    const echo: CommandSpec = defineCommand({
      name: 'echo',
      group: 'Test',
      summary: 'Echoes.',
      usage: '<words…>',
      options: { loud: { type: 'boolean', description: 'Shout.' } },
      run: ({ values, positionals }) => {
        seen = { values, positionals };
        return 0;
      },
    });
    expect(await dispatch(['echo', 'a', '--loud', 'b'], [echo], registry, version)).toBe(0);
    expect(seen).toEqual({ values: { loud: true }, positionals: ['a', 'b'] });
  });

  it('names every command once', () => {
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses a bad option value with exit 2, naming the option and what it expects, before doing anything', async () => {
    const workers = await tributary(['run', 'nowhere.yaml', '--workers', 'two']);
    expect(workers.code).toBe(2);
    expect(workers.err).toMatch(
      /^tributary run: --workers expects an integer ≥ 1, got 'two'\n\nUsage: tributary run /,
    );
    const ids = await tributary(['dlq', 'discard', 'nowhere.yaml', '--ids', '1,x', '--reason', 'r']);
    expect(ids.err).toMatch(/--ids expects dead-letter ids separated by commas \(1,2,3\), got '1,x'/);
    const to = await tributary(['rewind', 'nowhere.yaml', '--to', 'yesterday']);
    expect(to.err).toMatch(/--to expects earliest, latest or an ISO time, got 'yesterday'/);
    expect((await tributary(['submit', '--generate', '0'])).err).toMatch(
      /--generate expects an integer ≥ 1, got '0'/,
    );
  });

  it('names a pipeline file it cannot read as file:line:col with exit 2, without the usage', async () => {
    const { code, err } = await tributary(['status', 'nowhere.yaml']);
    expect(code).toBe(2);
    expect(err).toMatch(/^nowhere\.yaml:1:1 \(file\): cannot read the file: ENOENT/);
    expect(err).not.toContain('Usage:');
  });

  it('prints an unexpected error as one line, exit 1, with its stack only at LOG_LEVEL=debug', async () => {
    const broken = commands.map((c) =>
      c.name === 'docs'
        ? {
            ...c,
            run: () => {
              throw new TypeError('boom');
            },
          }
        : c,
    );
    const { code, err } = await tributary(['docs'], { commands: broken });
    expect({ code, err }).toEqual({
      code: 1,
      err: 'tributary docs: unexpected error: boom (LOG_LEVEL=debug shows where it came from).',
    });
  });

  it('is the only parser: no command module parses its arguments again', () => {
    const modules = readdirSync('cli/commands').filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const parsing = modules.filter((f) => /\bparseArgs\b/.test(readFileSync(`cli/commands/${f}`, 'utf8')));
    expect(parsing).toEqual([]);
  });
});
