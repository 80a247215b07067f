/** From the words typed to the command that runs them: help, usage errors, failures and exit codes. */
import type { Registry } from '../runtime/registry/index.js';
import { redactSecrets } from '../runtime/contract/index.js';
import {
  commandHelp,
  overallHelp,
  parseCommandArgs,
  resolveCommand,
  UsageError,
  wantsHelp,
  type CommandSpec,
} from './command.js';
import { describeFailure } from './describe-failure.js';

export interface DispatchOutput {
  /** Normal output (stdout by default). */
  out: (line: string) => void;
  /** Problems (stderr by default). */
  err: (line: string) => void;
}

const console_: DispatchOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/**
 * Runs the command `argv` names and resolves to its exit code; `--help` anywhere runs nothing.
 * Never rejects: whatever a command throws is printed as one line by `describeFailure`.
 */
export async function dispatch(
  argv: string[],
  commands: readonly CommandSpec[],
  registry: Registry,
  version: () => string,
  output: DispatchOutput = console_,
): Promise<number> {
  const { out, err } = output;
  const [first] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    out(overallHelp(commands));
    return 0;
  }
  if (first === '--version' || first === 'version') {
    out(version());
    return 0;
  }
  const found = resolveCommand(commands, argv);
  if (found.kind === 'unknown') {
    err(`tributary: unknown command '${found.word}'\n\n${overallHelp(commands)}`);
    return 2;
  }
  if (found.kind === 'group') {
    const list = overallHelp(found.members).split('\n').slice(2).join('\n');
    const help = `Usage: tributary ${found.prefix} <${found.members.map((m) => m.name.slice(found.prefix.length + 1)).join('|')}> …\n\n${list}`;
    if (wantsHelp(found.args)) {
      out(help);
      return 0;
    }
    err(
      `tributary ${found.prefix}: ${found.args[0] === undefined ? 'which one?' : `unknown subcommand '${found.args[0]}'`}\n\n${help}`,
    );
    return 2;
  }
  const { command, args } = found;
  if (wantsHelp(args)) {
    out(commandHelp(command));
    return 0;
  }
  let positionals: string[] = [];
  try {
    const parsed = parseCommandArgs(command, args);
    positionals = parsed.positionals;
    return await command.run({ args, values: parsed.values, positionals, registry, out, err });
  } catch (error) {
    if (error instanceof UsageError) {
      err(`tributary ${command.name}: ${error.message}\n\n${commandHelp(command)}`);
      return 2;
    }
    const failure = describeFailure(error, { command: command.name, positionals });
    // Whatever a client library put in its message, the line printed never shows a password.
    const message = redactSecrets(failure.message);
    err(failure.located ? message : `tributary ${command.name}: ${message}`);
    return failure.code;
  }
}
