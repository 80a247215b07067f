// Every command of `tributary`, declared through the command layer (cli/command.ts), in the order
// `tributary --help` lists them. Adding a command is one module here and one line in this array.
import { availableParallelism } from 'node:os';
import { defineCommand, listOption, type CommandSpec, type OptionSpec } from '../command.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { formatProbeTable } from '../format.js';
import { probeEndpoints } from '../probe-endpoints.js';
import { demo } from './demo.js';
import { docsCommand } from './docs.js';
import { dlqDiscardCommand, dlqListCommand, dlqReplayCommand } from './dlq.js';
import { rewindCommand, statusCommand, topicsEnsureCommand } from './ops.js';
import { rebuildCommand } from './rebuild.js';
import { reindexCommand } from './reindex.js';
import { runCommand } from './run.js';
import { schemasCommand } from './schemas.js';
import { searchQueryCommand } from './search.js';
import { serveCommand } from './serve.js';
import { testCommand } from './test.js';
import { seedDemoCommand, submitCommand } from './submit.js';
import { ucrCommand } from './ucr.js';
import { ucrCheckCommand } from './ucr-check.js';
import { validateCommand } from './validate.js';
import { xformParseCommand } from './xform.js';
import {
  exportListCommand,
  exportRunCommand,
  importCasesCommand,
  queueStatusLines,
  workerCommand,
} from './worker.js';

const string = (description: string, valueName = 'VALUE', extra: Partial<OptionSpec> = {}): OptionSpec => ({
  type: 'string',
  valueName,
  description,
  ...extra,
});
const flag = (description: string): OptionSpec => ({ type: 'boolean', description });

const setOption = string(
  'Override a value of every pipeline file given, e.g. sinks.out.table=public.docs (repeatable; YAML value).',
  'PATH=VALUE',
  { multiple: true },
);

const PIPELINES = 'Pipelines';
const SCHEMAS = 'Schemas';
const SUBMISSIONS = 'Submissions and the server';
const UCR = 'UCR (no server needed)';
const SEARCH = 'Search';
const ENVIRONMENT = 'Environment';

const ucrFiles = {
  doc: string('A CommCare document (JSON).', 'D.json'),
  context: string('root_doc, base_iteration_number and related_docs (id → document) for lookups.', 'C.json'),
};

export const commands: readonly CommandSpec[] = [
  defineCommand({
    name: 'run',
    group: PIPELINES,
    summary: 'Run pipelines until SIGTERM/SIGINT, then drain, commit and leave the group.',
    usage: '<pipeline files…> [--workers N] [--port P] [--set path=value…]',
    options: {
      workers: string('Worker processes of the same pipelines (one consumer group).', 'N', { default: '1' }),
      port: string('Port of /metrics, /healthz, /readyz and the admin API (0: none).', 'P', {
        default: process.env.TRIBUTARY_METRICS_PORT ?? '9464',
      }),
      host: string('Address the metrics server binds.', 'HOST', { default: '127.0.0.1' }),
      set: setOption,
    },
    positionals: { min: 1 },
    description:
      'Ctrl-C or SIGTERM drains: in-flight batches finish and commit, workers leave the group, exit 0. ' +
      'A second signal during the drain is ignored (logged); a third exits at once.',
    examples: [
      'tributary run pipelines/examples/cases-to-postgres.yaml --workers 2',
      'tributary run pipelines/examples/cases-to-postgres.yaml --set delivery.maxBatchRecords=1000',
    ],
    run: (input) => runCommand(input),
  }),
  defineCommand({
    name: 'validate',
    group: PIPELINES,
    summary: 'Check pipeline files without connecting to anything (file:line:col path: message).',
    usage: '<files or folders…> [--set path=value…]',
    options: { set: setOption },
    positionals: { min: 1 },
    examples: [
      'tributary validate pipelines/',
      'tributary validate pipelines/examples --set delivery.maxInFlight=2',
    ],
    run: (input) => validateCommand(input),
  }),
  defineCommand({
    name: 'test',
    group: PIPELINES,
    summary: 'Run *.test.yaml files beside pipelines and UCR data sources, offline (exit 1 on a failure).',
    usage: '[files or folders…] [--set path=value…]',
    description:
      'A test file names the file it tests (pipeline: x.yaml or dataSource: x.json) and lists tests: input ' +
      'records or documents, and what each sink receives or the rows of the table. Folders stand for every ' +
      '*.test.yaml below them; with no argument, pipelines/. A failure prints each difference at its line.',
    options: { set: setOption },
    examples: ['tributary test', 'tributary test pipelines/examples/cases-to-postgres.test.yaml'],
    run: ({ positionals, values, registry }) => testCommand(positionals, listOption(values, 'set'), registry),
  }),
  defineCommand({
    name: 'docs',
    group: PIPELINES,
    summary: 'The component reference (markdown), or the pipeline JSON Schema with --schema.',
    usage: '[--schema]',
    options: { schema: flag('Print the JSON Schema of pipeline files instead.') },
    positionals: { max: 0 },
    run: (input) => docsCommand(input),
  }),
  defineCommand({
    name: 'topics ensure',
    group: PIPELINES,
    summary: 'Create the topics pipelines declare (and their dead-letter topics); check existing ones.',
    usage: '<pipeline files…>',
    positionals: { min: 1 },
    run: (input) => topicsEnsureCommand(input),
  }),
  defineCommand({
    name: 'status',
    group: PIPELINES,
    summary: 'Group state, members, per-partition offsets and lag, dead letters, backlogs, views.',
    usage: '<pipeline files…> [--json] | --admin-url URL [--json]',
    options: {
      json: flag('Print the status as JSON.'),
      'admin-url': string(
        'Read it from a running `run` or `serve` (its metrics port; token from TRIBUTARY_ADMIN_TOKEN).',
        'URL',
      ),
    },
    examples: ['TRIBUTARY_ADMIN_TOKEN=… tributary status --admin-url http://127.0.0.1:9464'],
    run: async (input) => {
      const code = await statusCommand(input);
      // The task queues (exports, imports) beside the pipelines: waiting, active, failed, delayed.
      if (!input.values.json && !input.values['admin-url'] && code === 0)
        input.out(
          await queueStatusLines().catch((error: Error) => `task queues: unknown (${error.message})`),
        );
      return code;
    },
  }),
  defineCommand({
    name: 'rebuild',
    group: PIPELINES,
    summary: 'Rebuild a UCR data source beside its live table, then swap the view.',
    usage: '<pipeline file> <domain>/<table_id>',
    positionals: { min: 2, max: 2 },
    run: (input) => rebuildCommand(input),
  }),
  defineCommand({
    name: 'rewind',
    group: PIPELINES,
    summary: "Move a stopped pipeline's committed offsets.",
    usage: '<pipeline file> --to earliest|latest|<ISO time> [--accept-gap]',
    options: {
      to: string('Where the group resumes: earliest, latest or an ISO time.', 'WHERE'),
      'accept-gap': flag(
        'Move past records deleted before the group processed them (status shows such gaps); refused without it.',
      ),
    },
    positionals: { min: 1, max: 1 },
    run: (input) => rewindCommand(input),
  }),
  defineCommand({
    name: 'dlq list',
    group: PIPELINES,
    summary: 'Dead letters with their stage and reason.',
    usage: '[--pipeline P] [--since ISO] [--json]',
    options: {
      pipeline: string('Only this pipeline.', 'NAME'),
      since: string('Only dead letters since this time.', 'ISO'),
      limit: string('At most this many.', 'N', { default: '100' }),
      json: flag('Print them as JSON.'),
    },
    positionals: { max: 0 },
    run: (input) => dlqListCommand(input),
  }),
  defineCommand({
    name: 'dlq replay',
    group: PIPELINES,
    summary: "Run pending dead letters again through the pipeline's stages and sinks.",
    usage: '<pipeline file> [--ids 1,2]',
    description: 'Names each one that failed again and its new dead-letter id (exit 1 then).',
    options: { ids: string('Only these dead letters (comma-separated ids).', 'IDS') },
    positionals: { min: 1, max: 1 },
    run: (input) => dlqReplayCommand(input),
  }),
  defineCommand({
    name: 'dlq discard',
    group: PIPELINES,
    summary: 'Set aside dead letters that can never succeed: recorded (who, when, why), never deleted.',
    usage: '<pipeline file> --ids 1,2 --reason TEXT',
    options: {
      ids: string('The dead letters to discard (comma-separated ids).', 'IDS'),
      reason: string('Why they are discarded (kept with them).', 'TEXT'),
    },
    positionals: { min: 1, max: 1 },
    examples: [
      "tributary dlq discard pipelines/my-first.yaml --ids 7,9 --reason 'not JSON, from a test producer'",
    ],
    run: (input) => dlqDiscardCommand(input),
  }),
  ...(['check', 'register', 'types'] as const).map((sub) =>
    defineCommand({
      name: `schemas ${sub}`,
      group: SCHEMAS,
      summary: {
        check: 'Every schema parses; each version reads the earlier ones as its topic demands (offline).',
        register: "Register each topic's latest schema under <topic>-value (--dry-run: only report).",
        types: 'Generate TypeScript types into schemas/generated/ (--check: only report staleness).',
      }[sub],
      usage: { check: '[--dir D]', register: '[--dry-run] [--prefix P] [--topic T…]', types: '[--check]' }[
        sub
      ],
      options: {
        dir: string('The schemas folder (default: the one shipped with Tributary).', 'PATH'),
        ...(sub === 'register'
          ? {
              prefix: string('Prepended to every topic name (e.g. staging.).', 'TEXT'),
              topic: string('Only this topic (repeatable).', 'NAME', { multiple: true }),
              'dry-run': flag('Only report what would change.'),
            }
          : {}),
        ...(sub === 'types' ? { check: flag('Only report whether the committed types are stale.') } : {}),
      },
      positionals: { max: 0 },
      run: (input) => schemasCommand(sub, input),
    }),
  ),
  defineCommand({
    name: 'serve',
    group: SUBMISSIONS,
    summary: 'The HTTP server: the OpenRosa receiver, reports (+ pipelines in the same process).',
    usage: '[pipeline files…] [--port 8000] [--blobs s3|<folder>] [--processes N]',
    options: {
      port: string('Port of the server.', 'PORT', { default: process.env.TRIBUTARY_RECEIVER_PORT ?? '8000' }),
      host: string('Address the server binds.', 'HOST', { default: '127.0.0.1' }),
      blobs: string('`s3` for the S3-API server, or a folder.', 'WHERE', { default: '.tributary/blobs' }),
      'max-body-mb': string('Largest submission accepted.', 'MB', { default: '50' }),
      processes: string('HTTP server processes on the one port (pipelines run once, in the first).', 'N', {
        default: String(availableParallelism()),
      }),
      'metrics-port': string('Port of /metrics, /healthz and /readyz of the pipelines given.', 'PORT', {
        default: process.env.TRIBUTARY_METRICS_PORT ?? '9464',
      }),
      'outbox-table': string('The outbox table submissions write.', 'TABLE', {
        default: process.env.OUTBOX_TABLE ?? 'tributary_outbox',
      }),
      'outbox-channel': string('The NOTIFY channel of the outbox.', 'CHANNEL', {
        default: process.env.OUTBOX_CHANNEL ?? 'tributary_outbox',
      }),
    },
    description:
      'Routes: POST/HEAD /a/<domain>/receiver, POST /a/<domain>/forms/<id>/archive|unarchive, and ' +
      'GET /a/<domain>/reports/<report id>/data[?format=csv&<filters>] for users of the domain. ' +
      'Pipeline files given run in the same process.',
    examples: ['tributary serve pipelines/examples/submissions-to-kafka.yaml --blobs s3'],
    run: (input) => serveCommand(input),
  }),
  defineCommand({
    name: 'submit',
    group: SUBMISSIONS,
    summary: 'Post XForms to a receiver as a device does, or --generate N forms of the demo app.',
    usage: '<files.xml…> --user U --password P | --generate N [--rate R]',
    options: {
      url: string('The receiver.', 'URL', {
        default: process.env.TRIBUTARY_RECEIVER_URL ?? 'http://127.0.0.1:8000',
      }),
      domain: string('The domain to submit to.', 'DOMAIN', { default: 'demo' }),
      user: string('Username (HTTP Basic).', 'U'),
      password: string('Password (HTTP Basic).', 'P'),
      generate: string('Generate and post N forms of the built-in demo application.', 'N'),
      rate: string('Forms per second (generated runs).', 'R'),
      concurrency: string('Requests in flight.', 'C', { default: '8' }),
      users: string('Demo users to submit as (generated runs).', 'N', { default: '12' }),
      seed: string('Seed of the generator.', 'S', { default: '42' }),
    },
    description:
      'Posts as a device does (multipart, HTTP Basic). --generate first seeds the domain and its users ' +
      'in CouchDB when missing. Exit 0 when every form is acknowledged, 1 when some are refused.',
    run: (input) => submitCommand(input),
  }),
  defineCommand({
    name: 'seed-demo',
    group: SUBMISSIONS,
    summary: 'The demo domain, users, groups, locations and application in CouchDB.',
    usage: '[--domain demo] [--users 12]',
    options: {
      domain: string('The domain.', 'DOMAIN', { default: 'demo' }),
      users: string('How many mobile users.', 'N', { default: '12' }),
    },
    positionals: { max: 0 },
    run: (input) => seedDemoCommand(input),
  }),
  defineCommand({
    name: 'worker',
    group: SUBMISSIONS,
    summary: 'Run background tasks (exports, case imports) from the Redis queues until SIGTERM.',
    usage: '[--queues exports,imports] [--concurrency N]',
    options: {
      queues: string('Queues to take tasks from, comma-separated.', 'Q', { default: 'exports,imports' }),
      concurrency: string('Tasks run at once per queue.', 'N', { default: '2' }),
      'lock-ms': string(
        "How long a task's lock lives; a killed worker's task is taken again after it.",
        'MS',
        {
          default: '30000',
        },
      ),
      'page-size': string('Documents read per page of an export.', 'N', { default: '1000' }),
      // Off by default: several workers often share a machine; Kubernetes passes --port=9464.
      port: string('Port of /metrics (queue depths), /healthz and /readyz (0: none).', 'P', {
        default: '0',
      }),
      host: string('Address the metrics server binds.', 'HOST', { default: '127.0.0.1' }),
      prefix: string('Key prefix of the queues and task status in Redis.', 'P'),
      exports: string('Folder of export configurations (default pipelines/exports).', 'DIR'),
    },
    positionals: { max: 0 },
    examples: ['tributary worker --queues exports --concurrency 4'],
    run: ({ values }) => workerCommand(values),
  }),
  defineCommand({
    name: 'export run',
    group: SUBMISSIONS,
    summary: 'Run an export now in this process and write its file (a progress bar on a terminal).',
    usage: '<export file or id> --domain D [--filter name=value…] --out FILE',
    options: {
      domain: string('The domain.', 'D', { default: 'demo' }),
      filter: string(
        'A filter: date_start, date_end, users, groups, locations, owners, status.',
        'NAME=VALUE',
        {
          multiple: true,
        },
      ),
      out: string('Where the file goes.', 'FILE'),
      prefix: string('Key prefix of task status in Redis.', 'P'),
    },
    positionals: { min: 1, max: 1 },
    examples: [
      'tributary export run pipelines/exports/household-cases.json --domain demo --out households.xlsx',
    ],
    run: ({ positionals, values }) => exportRunCommand(positionals, values),
  }),
  defineCommand({
    name: 'export list',
    group: SUBMISSIONS,
    summary: "The domain's export configurations (files and CouchDB), with any problem.",
    usage: '--domain D',
    options: { domain: string('The domain.', 'D', { default: 'demo' }) },
    positionals: { max: 0 },
    run: ({ values }) => exportListCommand(values),
  }),
  defineCommand({
    name: 'import cases',
    group: SUBMISSIONS,
    summary:
      'Import cases from an xlsx or csv file through a server (a queued task); prints per-row results.',
    usage: 'FILE --domain D --mapping M.json [--case-type T]',
    description:
      'M.json: {"case_type": "household", "search_column": "case_id", "search_field": "case_id", "create_new_cases": true, "mapping": {"column": "property"}}.',
    options: {
      domain: string('The domain.', 'D', { default: 'demo' }),
      mapping: string('The mapping file (JSON).', 'M.json'),
      'case-type': string('The case type (overrides the mapping file).', 'T'),
      url: string('The server.', 'URL', {
        default: process.env.TRIBUTARY_RECEIVER_URL ?? 'http://127.0.0.1:8000',
      }),
      user: string('Username (HTTP Basic).', 'U'),
      password: string('Password (HTTP Basic).', 'P'),
    },
    positionals: { min: 1, max: 1 },
    run: ({ positionals, values }) => importCasesCommand(positionals[0]!, values),
  }),
  defineCommand({
    name: 'xform parse',
    group: SUBMISSIONS,
    summary: 'A form as JSON, its metadata and its case actions (no store touched).',
    usage: '<file.xml>',
    positionals: { min: 1, max: 1 },
    run: (input) => xformParseCommand(input),
  }),
  defineCommand({
    name: 'ucr expr',
    group: UCR,
    summary: "An expression's value.",
    usage: '--expression E.json --doc D.json [--context C.json] [--typed]',
    options: {
      expression: string('The expression (JSON).', 'E.json'),
      ...ucrFiles,
      typed: flag('Print {"type": kind, "value": json}.'),
    },
    positionals: { max: 0 },
    examples: [
      'tributary ucr expr --expression pipelines/ucr/examples/expr.json --doc pipelines/ucr/examples/doc.json --typed',
    ],
    run: (input) => ucrCommand('expr', input),
  }),
  defineCommand({
    name: 'ucr filter',
    group: UCR,
    summary: 'A filter on a document: true or false.',
    usage: '--filter F.json --doc D.json [--context C.json]',
    options: { filter: string('The filter (JSON).', 'F.json'), ...ucrFiles },
    positionals: { max: 0 },
    examples: [
      'tributary ucr filter --filter pipelines/ucr/examples/filter.json --doc pipelines/ucr/examples/doc.json',
    ],
    run: (input) => ucrCommand('filter', input),
  }),
  defineCommand({
    name: 'ucr indicator',
    group: UCR,
    summary: "An indicator's columns and values.",
    usage: '--indicator I.json --doc D.json [--context C.json]',
    options: { indicator: string('The indicator (JSON).', 'I.json'), ...ucrFiles },
    positionals: { max: 0 },
    examples: [
      'tributary ucr indicator --indicator pipelines/ucr/examples/indicator.json --doc pipelines/ucr/examples/doc.json',
    ],
    run: (input) => ucrCommand('indicator', input),
  }),
  defineCommand({
    name: 'ucr eval',
    group: UCR,
    summary: "A data source's rows for documents, as JSON lines.",
    usage: '--config DS.json --docs DOCS.json|.jsonl [--context C.json]',
    options: {
      config: string('The data source configuration.', 'DS.json'),
      docs: string('The documents, a JSON array or JSON lines, in order.', 'DOCS'),
      context: ucrFiles.context,
    },
    positionals: { max: 0 },
    examples: [
      'tributary ucr eval --config pipelines/ucr/visit-medications.json --docs pipelines/ucr/examples/followup-forms.jsonl',
    ],
    run: (input) => ucrCommand('eval', input),
  }),
  defineCommand({
    name: 'ucr check',
    group: UCR,
    summary: 'Check that every data source and report of a folder exported from CommCare is supported.',
    usage: '<folder>',
    positionals: { min: 1, max: 1 },
    examples: ['tributary ucr check pipelines/ucr'],
    run: ({ positionals, out, err }) => ucrCheckCommand(positionals, out, err),
  }),
  defineCommand({
    name: 'search query',
    group: SEARCH,
    summary:
      'A case search (CommCare _xpath_query) against the search engine, or its compiled plan with --explain.',
    usage: "--domain D --case-type T [--xpath '…'] [--explain] [--json]",
    options: {
      domain: string('The domain to search.', 'D'),
      'case-type': string('A case type to search (repeatable).', 'T', { multiple: true }),
      xpath: string('A CommCare _xpath_query (repeatable; all must hold).', 'QUERY', { multiple: true }),
      explain: flag('Print the compiled plan (DSL and related-case lookups) and connect to nothing.'),
      'include-closed': flag('Include closed cases.'),
      json: flag('Print {total, cases} as JSON.'),
      prefix: string('The index prefix of the search pipeline (indexPrefix).', 'P', { default: '' }),
      limit: string('Most cases returned.', 'N', { default: '500' }),
      'time-zone': string(
        "The project's time zone for today() and date-times (else the domain's, UTC with --explain).",
        'TZ',
      ),
      configs: string('Folder of case search configurations.', 'DIR', {
        default: 'pipelines/search/case-search',
      }),
    },
    positionals: { max: 0 },
    examples: [
      "tributary search query --domain demo --case-type household --xpath \"village = 'Bondo' and subcase-exists('parent', age >= 60)\"",
      'tributary search query --domain demo --case-type member --xpath "dob < date-add(today(), \'years\', -60)" --explain',
    ],
    run: ({ values }) => searchQueryCommand(values),
  }),
  defineCommand({
    name: 'reindex',
    group: SEARCH,
    summary:
      'Rebuild a search index beside its live one (backfilled from the primary store), then swap its alias.',
    usage: '<pipeline file> <index>',
    positionals: { min: 2, max: 2 },
    examples: ['tributary reindex pipelines/examples/search.yaml case_search'],
    run: (input) => reindexCommand(input),
  }),
  defineCommand({
    name: 'demo',
    group: ENVIRONMENT,
    summary: 'Bring the local stack up and run the main job end to end.',
    usage: '',
    positionals: { max: 0 },
    run: () => demo(),
  }),
  defineCommand({
    name: 'check',
    group: ENVIRONMENT,
    summary: 'Probe every configured endpoint (KAFKA_BROKERS, DATABASE_URL, …).',
    usage: '',
    positionals: { max: 0 },
    run: async ({ out }) => {
      const results = await probeEndpoints(readEndpoints());
      out(formatProbeTable(results));
      return results.every((r) => r.ok) ? 0 : 1;
    },
  }),
];
