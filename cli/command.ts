/**
 * The command layer: every command is declared once (name, summary, usage, options with their
 * descriptions, examples) and listed in `cli/commands/index.ts`. From the declaration come the
 * help texts, strict option parsing (an unknown option or a missing argument exits 2 with the
 * usage) and the rule that `--help` never runs anything.
 */
import { parseArgs } from 'node:util';
import type { Registry } from '../runtime/registry/index.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[];
  /** Shown after the option in the help, e.g. `N` for `--workers N`. */
  valueName?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandInput {
  /** The arguments after the command's name, as typed. */
  args: string[];
  /** The declared options, parsed (defaults applied); read them with the accessors below. */
  values: OptionValues;
  positionals: string[];
  registry: Registry;
  /** Where the command's output goes: stdout, or a test's collector. */
  out: (line: string) => void;
  /** Where its problems go: stderr, or a test's collector. */
  err: (line: string) => void;
}

export interface CommandSpec {
  /** `run`, or `dlq list` for a subcommand. */
  name: string;
  /** One line, in `tributary --help`. */
  summary: string;
  /** What follows the name in the usage line: `<files…> [--workers N]`. */
  usage: string;
  /** Heading of `tributary --help` it is listed under. */
  group: string;
  description?: string;
  examples?: readonly string[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes; any number when absent. */
  positionals?: { min?: number; max?: number };
  run(input: CommandInput): Promise<number> | number;
}

export function defineCommand(spec: CommandSpec): CommandSpec {
  return Object.freeze(spec);
}

/** The usage error of one command: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const helpOption: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help; runs nothing.' };

export function commandHelp(command: CommandSpec): string {
  const lines = [`Usage: tributary ${command.name} ${command.usage}`.trimEnd(), '', command.summary];
  if (command.description) lines.push('', command.description);
  const options = Object.entries({ ...command.options, help: helpOption });
  lines.push('', 'Options:');
  const heads = options.map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '    ';
    return `  ${short}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
  });
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  options.forEach(([, o], i) => {
    const fallback =
      o.default !== undefined && o.default !== false && o.default !== ''
        ? ` (default ${String(o.default)})`
        : '';
    lines.push(`${heads[i]!.padEnd(width)}${o.description}${fallback}`);
  });
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

export function overallHelp(commands: readonly CommandSpec[]): string {
  const groups = new Map<string, CommandSpec[]>();
  for (const command of commands) groups.set(command.group, [...(groups.get(command.group) ?? []), command]);
  const width = Math.min(44, Math.max(...commands.map((c) => `${c.name} ${c.usage}`.length)) + 4);
  const lines = ['Usage: tributary <command> [options]   (tributary <command> --help for its options)'];
  for (const [group, members] of groups) {
    lines.push('', `${group}:`);
    for (const c of members) {
      const head = `  ${c.name} ${c.usage}`;
      lines.push(
        head.length + 2 > width
          ? `${head}\n${' '.repeat(width)}${c.summary}`
          : `${head.padEnd(width)}${c.summary}`,
      );
    }
  }
  lines.push('', 'Exit codes: 0 success, 1 failure, 2 bad input.');
  return lines.join('\n');
}

export type Resolution =
  | { kind: 'command'; command: CommandSpec; args: string[] }
  | { kind: 'group'; prefix: string; members: CommandSpec[]; args: string[] }
  | { kind: 'unknown'; word: string };

/** The command named by the longest prefix of `argv`, the group a bare prefix names, or unknown. */
export function resolveCommand(commands: readonly CommandSpec[], argv: readonly string[]): Resolution {
  for (let n = Math.min(3, argv.length); n >= 1; n--) {
    const name = argv.slice(0, n).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return { kind: 'command', command, args: argv.slice(n) };
  }
  const word = argv[0] ?? '';
  const members = commands.filter((c) => c.name.startsWith(`${word} `));
  if (members.length) return { kind: 'group', prefix: word, members, args: argv.slice(1) };
  return { kind: 'unknown', word };
}

/** Parses strictly against the declared options; throws UsageError naming what is wrong. */
export function parseCommandArgs(
  command: CommandSpec,
  args: string[],
): { values: OptionValues; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries({ ...command.options, help: helpOption }).map(([name, o]) => [
      name,
      {
        type: o.type,
        ...(o.short ? { short: o.short } : {}),
        ...(o.multiple ? { multiple: true } : {}),
        ...(o.default !== undefined ? { default: o.default } : {}),
      },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args, options: options as never, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, '.'));
  }
  const { min = 0, max = Infinity } = command.positionals ?? {};
  const count = parsed.positionals.length;
  if (count < min)
    throw new UsageError(`expected at least ${min} argument${min === 1 ? '' : 's'}, got ${count}`);
  if (count > max)
    throw new UsageError(
      `expected at most ${max} argument${max === 1 ? '' : 's'}, got ${count}: ${parsed.positionals.slice(max).join(' ')}`,
    );
  return { values: parsed.values, positionals: parsed.positionals };
}

/** A string option's value, or undefined when it was not given and has no default. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return value.at(-1);
  return typeof value === 'string' ? value : undefined;
}

/** A string option that must be given: a UsageError naming it otherwise. */
export function requiredOption(values: OptionValues, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new UsageError(`missing --${name}`);
  return value;
}

/** A repeatable string option's values (an empty list when not given). */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/**
 * A numeric option (an integer unless `integer: false`), at least `min`; undefined when not given.
 * Anything else is a UsageError that names the option and what it expects.
 */
export function numberOption(
  values: OptionValues,
  name: string,
  bounds: { min?: number; integer?: boolean; above?: number } = {},
): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const { min, above, integer = true } = bounds;
  const value = text.trim() === '' ? NaN : Number(text);
  const ok =
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || value >= min) &&
    (above === undefined || value > above);
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    const bound = min !== undefined ? ` ≥ ${min}` : above !== undefined ? ` > ${above}` : '';
    throw new UsageError(`--${name} expects ${kind}${bound}, got '${text}'`);
  }
  return value;
}

/** True when the arguments ask for help anywhere before a `--`. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}
