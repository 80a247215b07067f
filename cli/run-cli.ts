/**
 * The tributary command: the one place that assembles runtime, connectors, processors and server.
 * Imported by the bin (cli/main.ts) once it has checked the Node version.
 */
import { readFileSync } from 'node:fs';
import { guardKafkajsTimers } from '../connectors/kafka/kafkajs-timers.js';
import { commands } from './commands/index.js';
import { dispatch } from './dispatch.js';
import { registry } from './registry.js';

// kafkajs 2.2.4 arms a timer with a negative delay on every connection (Node ≥ 23 warns about
// it); `check` and the kafkajs client use it, so the fix goes in before any command runs.
guardKafkajsTimers();

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

// dispatch never rejects: every failure is one line on stderr and an exit code.
void dispatch(process.argv.slice(2), commands, registry, version).then((code) => {
  process.exitCode = code;
  // Client libraries may keep timers alive after a long-running command closed them.
  if (process.argv[2] === 'run' || process.argv[2] === 'serve')
    setTimeout(() => process.exit(code), 200).unref();
});
