#!/usr/bin/env node
/** The tributary command: the one place that assembles runtime, connectors and processors. */
import { readFileSync } from 'node:fs';
import { EndpointConfigError, readEndpoints } from '../connectors/endpoints.js';
import { demo } from './demo.js';
import { formatProbeTable } from './format.js';
import { probeEndpoints } from './probe-endpoints.js';

// kafkajs 2.2.4 (unmaintained since 2023) arms timers with negative delays, which Node ≥ 23
// reports on every run; that one warning is noise to a user, every other warning still prints.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning') console.warn(`${warning.name}: ${warning.message}`);
});

const usage = `Usage: tributary <command>

Commands:
  demo     bring the local stack up and show every service as Tributary sees it
  check    probe every configured endpoint (KAFKA_BROKERS, DATABASE_URL, …) and report
  help     this text

Exit codes: 0 success, 1 failure, 2 bad input.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(args: string[]): Promise<number> {
  const [command] = args;
  switch (command) {
    case 'demo':
      return demo();
    case 'check': {
      const results = await probeEndpoints(readEndpoints());
      console.log(formatProbeTable(results));
      return results.every((r) => r.ok) ? 0 : 1;
    }
    case '--version':
    case 'version':
      console.log(version());
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return 0;
    default:
      console.error(`tributary: unknown command '${command}'\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof EndpointConfigError) {
      console.error(`tributary: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    console.error(error);
    process.exitCode = 1;
  },
);
