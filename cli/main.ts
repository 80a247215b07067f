#!/usr/bin/env node
/** The tributary command: the one place that assembles runtime, connectors and processors. */
import { readFileSync } from 'node:fs';
import { EndpointConfigError, readEndpoints } from '../connectors/endpoints.js';
import { guardKafkajsTimers } from '../connectors/kafka/kafkajs-timers.js';
import { docsCommand } from './commands/docs.js';
import { dlqCommand, rewindCommand, statusCommand, topicsCommand } from './commands/ops.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { seedDemoCommand, submitCommand } from './commands/submit.js';
import { validateCommand } from './commands/validate.js';
import { demo } from './demo.js';
import { formatProbeTable } from './format.js';
import { probeEndpoints } from './probe-endpoints.js';
import { registry } from './registry.js';
import { schemasCommand } from './schemas-command.js';
import { rebuildCommand } from './ucr-admin-command.js';
import { ucrCommand } from './ucr-command.js';
import { xformCommand } from './xform-command.js';

// kafkajs 2.2.4 arms a timer with a negative delay on every connection (Node ≥ 23 warns about
// it); `check` and the kafkajs client use it, so the fix goes in before any command runs.
guardKafkajsTimers();

const usage = `Usage: tributary <command> [options]

Pipelines:
  run <files…> [--workers N] [--port P]   run pipelines until SIGTERM/SIGINT (metrics on :P, default 9464)
  validate <files or folders…>            check pipeline files without connecting to anything
  docs [--schema]                         component reference (markdown) or the pipeline JSON Schema
  topics ensure <files…>                  create the topics pipelines declare, check existing ones
  status <files…> [--json]                group state, members, per-partition offsets and lag, dead letters,
                                          outbox backlog, UCR data sources (state, rows, last build, errors)
  rebuild <file> <domain>/<table_id>      rebuild a UCR data source beside its live table, then swap the view
  rewind <file> --to earliest|latest|ISO  move a stopped pipeline's committed offsets
  dlq list [--pipeline P] [--since ISO]   dead letters with their reasons
  dlq replay <file> [--ids 1,2]           run dead letters again through the pipeline's stages and sinks

Schemas:
  schemas check                           every schema parses; each version reads all earlier ones
  schemas register [--dry-run]            register each topic's schema under <topic>-value
  schemas types [--check]                 generate TypeScript types into schemas/generated/

Submissions:
  serve [pipeline files…] [--port 8000]   the OpenRosa receiver (+ pipelines in the same process, e.g. the relay)
  submit <files…> --user U --password P   post XForms to a receiver
  submit --generate N [--rate R]          post N generated forms of the built-in demo application
  seed-demo [--domain demo]               the demo domain, users, groups, locations, app in CouchDB
  xform parse <file.xml>                  the form as JSON, its metadata and its case actions (no stores touched)

UCR (no server needed):
  ucr expr --expression E.json --doc D.json [--context C.json] [--typed]   an expression's value
  ucr filter --filter F.json --doc D.json [--context C.json]               true or false
  ucr indicator --indicator I.json --doc D.json [--context C.json]         an indicator's columns and values
  ucr eval --config DS.json --docs DOCS.json|.jsonl [--context C.json]     a data source's rows, as JSON lines

Environment:
  demo                                    bring the local stack up and show every service
  check                                   probe every configured endpoint (KAFKA_BROKERS, DATABASE_URL, …)

Exit codes: 0 success, 1 failure, 2 bad input.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'run':
      return runCommand(rest, registry);
    case 'validate':
      return validateCommand(rest, registry);
    case 'topics':
      return topicsCommand(rest, registry);
    case 'status':
      return statusCommand(rest, registry);
    case 'rewind':
      return rewindCommand(rest, registry);
    case 'dlq':
      return dlqCommand(rest, registry);
    case 'docs':
      return docsCommand(rest, registry);
    case 'schemas':
      return schemasCommand(rest);
    case 'xform':
      return xformCommand(rest);
    case 'ucr':
      return ucrCommand(rest);
    case 'rebuild':
      return rebuildCommand(rest);
    case 'serve':
      return serveCommand(rest, registry);
    case 'submit':
      return submitCommand(rest);
    case 'seed-demo':
      return seedDemoCommand(rest);
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
    // Client libraries may keep timers alive after a long-running command closed them.
    if (process.argv[2] === 'run' || process.argv[2] === 'serve')
      setTimeout(() => process.exit(code), 200).unref();
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
