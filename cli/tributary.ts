/**
 * `tributary <argv…>` in process, with the real commands and the real command layer: what tests
 * and tools call instead of a command's function, so they go through the same parsing, help and
 * error path as the bin. Resolves to the exit code; never rejects.
 */
import type { Registry } from '../runtime/registry/index.js';
import type { CommandSpec } from './command.js';
import { commands as allCommands } from './commands/index.js';
import { dispatch } from './dispatch.js';
import { registry as defaultRegistry } from './registry.js';

export interface TributaryRun {
  code: number;
  /** Every line printed to stdout, joined by newlines. */
  out: string;
  /** Every line printed to stderr, joined by newlines. */
  err: string;
}

/**
 * Runs the command line and collects what it printed. `commands` replaces the command list
 * (a test may swap one command's `run` to hand it a fake, e.g. a schema registry); `registry`
 * the components pipeline files may name (a test's own stages).
 */
export async function tributary(
  argv: string[],
  options: { commands?: readonly CommandSpec[]; registry?: Registry } = {},
): Promise<TributaryRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await dispatch(
    argv,
    options.commands ?? allCommands,
    options.registry ?? defaultRegistry,
    () => '0.0.0',
    {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}
