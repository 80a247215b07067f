/** From the words typed to the command that runs them: help, usage errors and exit codes. */
import type { Registry } from '../runtime/registry/index.js';
import {
  commandHelp,
  overallHelp,
  parseCommandArgs,
  resolveCommand,
  UsageError,
  wantsHelp,
  type CommandSpec,
} from './command.js';

/** Runs the command `argv` names and resolves to its exit code; `--help` anywhere runs nothing. */
export async function dispatch(
  argv: string[],
  commands: readonly CommandSpec[],
  registry: Registry,
  version: () => string,
): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    console.log(overallHelp(commands));
    return 0;
  }
  if (first === '--version' || first === 'version') {
    console.log(version());
    return 0;
  }
  const found = resolveCommand(commands, argv);
  if (found.kind === 'unknown') {
    console.error(`tributary: unknown command '${found.word}'\n\n${overallHelp(commands)}`);
    return 2;
  }
  if (found.kind === 'group') {
    const list = overallHelp(found.members).split('\n').slice(2).join('\n');
    const help = `Usage: tributary ${found.prefix} <${found.members.map((m) => m.name.slice(found.prefix.length + 1)).join('|')}> …\n\n${list}`;
    if (wantsHelp(found.args)) {
      console.log(help);
      return 0;
    }
    console.error(
      `tributary ${found.prefix}: ${found.args[0] === undefined ? 'which one?' : `unknown subcommand '${found.args[0]}'`}\n\n${help}`,
    );
    return 2;
  }
  const { command, args } = found;
  if (wantsHelp(args)) {
    console.log(commandHelp(command));
    return 0;
  }
  try {
    const { values, positionals } = parseCommandArgs(command, args);
    return await command.run({ args, values, positionals, registry });
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`tributary ${command.name}: ${error.message}\n\n${commandHelp(command)}`);
      return 2;
    }
    throw error;
  }
}
