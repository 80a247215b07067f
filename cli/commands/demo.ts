/**
 * `tributary demo`: brings the local stack up, registers the topic schemas, seeds the demo domain
 * in CouchDB, runs the receiver with the relay, CouchDB, case-table and UCR pipelines in this
 * process, submits a few hundred generated forms, and shows what reached each topic and table.
 * Each step is a named function of the demo's context, run in order by `demo`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Admin } from '../../connectors/kafka/kafka-client.js';
import { defaultKafkaLibrary, kafkaClient } from '../../connectors/kafka/kafka-resources.js';
import {
  exportsModule,
  importsModule,
  pagesModule,
  receiverModule,
  reportsModule,
  searchModule,
  sessionAuthenticator,
  startServer,
} from '../../server/index.js';
import { demoExports } from '../demo-exports.js';
import { demoCaseSearch } from '../demo-search.js';
import { taskSettings } from './worker.js';
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { readEndpoints, type Endpoints } from '../../connectors/endpoints.js';
import { postgresPool, type Database } from '../../connectors/postgres/postgres-pool.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { loadSchemaCatalog } from '../../schemas/schema-catalog.js';
import { registerSchemas } from '../../schemas/tools/schema-register.js';
import { postGenerated } from './submit.js';
import { demoUsers } from '../demo-application.js';
import { seedDirectory } from '../demo-directory.js';
import { SubmissionClient } from '../submission-client.js';
import { formatProbeTable, formatTable } from '../format.js';
import { loadPlans } from '../load-plans.js';
import { PipelineHost } from '../pipeline-host.js';
import { probeEndpoints } from '../probe-endpoints.js';
import { registry } from '../registry.js';
import { repoRoot } from '../repo-root.js';

const demoPipelines = [
  'pipelines/examples/submissions-to-kafka.yaml',
  'pipelines/examples/couchdb-to-kafka.yaml',
  'pipelines/examples/cases-to-postgres.yaml',
  'pipelines/examples/ucr-to-postgres.yaml',
  'pipelines/examples/search.yaml',
];
const ucrTables = ['household_register', 'visit_medications', 'open_cases_by_owner'] as const;
const demoReports = ['households-by-village', 'medications-taken', 'open-cases-by-owner'] as const;
const casesTable = 'tributary_views.cases';
const domain = 'demo';
const submissions = 300;
const demoTopics = ['forms', 'cases', 'users', 'groups', 'locations', 'apps', 'domains', 'configs'] as const;

/** What the steps share: endpoints, clients, the running receiver and the demo users. */
interface DemoContext {
  endpoints: Endpoints;
  resources: ResourcePool;
  users: ReturnType<typeof demoUsers>;
  admin: Admin;
  db: Database;
  receiverUrl: string;
  /** End offsets of the demo topics before this run. */
  before: Map<string, bigint>;
}

export async function demo(): Promise<number> {
  if (!bringStackUp()) return 1;
  const endpoints = readEndpoints();
  if (!(await showWhatTributarySees(endpoints))) return 1;
  if (!(await registerTopicSchemas(endpoints))) return 1;
  const plans = await loadPlans(
    demoPipelines.map((file) => `${repoRoot}${file}`),
    registry,
  );
  const users = demoUsers(12, domain);
  await seedCouchDb(endpoints, users);

  const resources = new ResourcePool();
  const logger = createLogger({ level: 'warn' });
  const host = new PipelineHost(logger, { defaultMetrics: false });
  const admin = await (
    await kafkaClient(resources, defaultKafkaLibrary, [...endpoints.KAFKA_BROKERS])
  ).admin();
  const before = await topicEnds(admin, demoTopics).catch(() => new Map<string, bigint>());
  const receiver = await startServer({
    endpoints,
    logger,
    port: 0,
    host: '127.0.0.1',
    blobs: 's3',
    modules: [
      receiverModule({ maxBodyBytes: 50 * 1024 * 1024 }),
      reportsModule(),
      exportsModule(taskSettings()),
      importsModule(taskSettings(), {
        maxUploadBytes: 50 * 1024 * 1024,
        outbox: {
          table: 'tributary_outbox',
          channel: 'tributary_outbox',
          topics: { forms: 'forms', cases: 'cases' },
        },
      }),
      pagesModule(taskSettings()),
      searchModule(),
    ],
    authenticator: sessionAuthenticator(taskSettings()),
  });
  try {
    const db = await postgresPool(resources, endpoints.DATABASE_URL);
    const context: DemoContext = {
      endpoints,
      resources,
      users,
      admin,
      db,
      receiverUrl: receiver.url,
      before,
    };
    await startPipelines(host, plans, receiver.url);
    await submitForms(context);
    await showTopics(context);
    await showCases(context);
    await showUcrTables(context);
    await showReports(context);
    await demoExports({ serverUrl: receiver.url, endpoints, logger, domain, user: users[0]!, step: 11 });
    await demoCaseSearch({ serverUrl: receiver.url, domain, user: users[0]!, db, step: 12 });
  } finally {
    await admin.close();
    await receiver.close();
    await host.stop();
    await resources.close();
  }
  printTryIt(users);
  return 0;
}

/** Step 1: the local stack (unless TRIBUTARY_STACK says the services are elsewhere). */
function bringStackUp(): boolean {
  const stackScript = `${repoRoot}deploy/local/stack.sh`;
  if ((process.env.TRIBUTARY_STACK ?? 'local') !== 'local' || !existsSync(stackScript)) return true;
  console.log(
    '1. Bringing the local stack up (the first run installs the servers; later runs take seconds)…',
  );
  const up = spawnSync('bash', [stackScript, 'up'], { stdio: 'inherit' });
  if (up.status === 0) return true;
  console.error('The local stack did not come up; the lines above name the service and its log file.');
  return false;
}

/** Step 2: every endpoint asked a real question through the clients the pipelines use. */
async function showWhatTributarySees(endpoints: Endpoints): Promise<boolean> {
  const results = await probeEndpoints(endpoints);
  console.log('\n2. What Tributary sees, through the clients its pipelines use:\n');
  console.log(formatProbeTable(results));
  if (results.every((r) => r.ok)) return true;
  console.error('\nSome services do not answer: see the table above.');
  return false;
}

/** Step 3: every topic's Avro schema in the registry. */
async function registerTopicSchemas(endpoints: Endpoints): Promise<boolean> {
  const schemaRegistry = new SchemaRegistryClient({ url: endpoints.SCHEMA_REGISTRY_URL });
  const outcomes = await registerSchemas(await loadSchemaCatalog(), schemaRegistry);
  console.log('\n3. Topic schemas in the registry (tributary schemas register):\n');
  console.log(
    formatTable(
      ['SUBJECT', 'STATUS', 'ID', 'COMPATIBILITY'],
      outcomes.map((o) => [o.subject, o.status, String('id' in o ? (o.id ?? '') : ''), o.compatibility]),
    ),
  );
  return outcomes.every((o) => o.status === 'new' || o.status === 'existing');
}

/** Step 4: the demo domain, its users, groups, locations and application in CouchDB. */
async function seedCouchDb(endpoints: Endpoints, users: ReturnType<typeof demoUsers>): Promise<void> {
  console.log(
    `\n4. Seeding CouchDB with domain '${domain}', ${users.length} mobile users, their groups, locations and application…`,
  );
  const written = await seedDirectory({ couchUrl: endpoints.COUCHDB_URL, domain, users });
  console.log(written ? `   ${written} documents written.` : '   Already there from an earlier run.');
}

/** Step 5: the shipped pipelines, in this process beside the receiver. */
async function startPipelines(host: PipelineHost, plans: PipelinePlan[], receiverUrl: string): Promise<void> {
  console.log(`\n5. Running the receiver at ${receiverUrl} and, in the same process, the pipelines:`);
  for (const plan of plans) console.log(`   ${plan.file.replace(repoRoot, '')}  (${plan.name})`);
  await host.start(plans);
}

/** Step 6: generated forms posted as the demo users, as devices do. */
async function submitForms({ receiverUrl, users }: DemoContext): Promise<void> {
  const client = new SubmissionClient(receiverUrl, 8);
  const summary = await postGenerated(client, {
    domain,
    count: submissions,
    concurrency: 8,
    seed: Date.now() % 100_000,
    users,
  });
  client.close();
  console.log(
    `\n6. Submitted ${summary.submitted} generated forms (registrations, follow-up visits, closings) as ${users.length} users:` +
      `\n   ${summary.acknowledged} acknowledged (201), ${summary.refused} refused; ${summary.perSecond} forms/s,` +
      ` latency p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms.`,
  );
  if (summary.refused) console.log(`   First refusal: ${summary.firstRefusal}`);
}

/** Step 7: what reached each topic once the outbox drained. */
async function showTopics({ db, admin, before }: DemoContext): Promise<void> {
  const drained = await waitFor(
    async () => (await db.one<{ n: bigint }>('SELECT count(*) AS n FROM tributary_outbox')).n === 0n,
    60_000,
  );
  const after = await topicEnds(admin, demoTopics);
  console.log(
    `\n7. What reached each topic (Avro change events keyed by document id)${drained ? '' : ' — the outbox is still draining'}:\n`,
  );
  console.log(
    formatTable(
      ['TOPIC', 'THIS RUN', 'TOTAL'],
      demoTopics.map((topic) => [
        topic,
        String((after.get(topic) ?? 0n) - (before.get(topic) ?? 0n)),
        String(after.get(topic) ?? 0n),
      ]),
    ),
  );
}

/** Step 8: the cases table the cases-to-postgres pipeline keeps. */
async function showCases({ db }: DemoContext): Promise<void> {
  await waitFor(async () => {
    const n = await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM ${casesTable}`).catch(() => ({ n: 0n }));
    return n.n > 0n;
  }, 30_000);
  const rows = await db
    .any<{ case_id: string; version: bigint; case_type: string; name: string; closed: boolean }>(
      `SELECT case_id, version, doc->>'case_type' AS case_type, doc->>'name' AS name, (doc->>'closed')::boolean AS closed
       FROM ${casesTable} WHERE doc->>'domain' = $1 ORDER BY version DESC, case_id LIMIT 6`,
      [domain],
    )
    .catch(() => []);
  console.log(
    `\n8. Cases as pipelines/examples/cases-to-postgres.yaml keeps them in ${casesTable} (most changed first):\n`,
  );
  console.log(
    formatTable(
      ['CASE', 'VERSION', 'TYPE', 'NAME', 'CLOSED'],
      rows.map((r) => [r.case_id, String(r.version), r.case_type, r.name, String(r.closed)]),
    ),
  );
}

/** Step 9: the row counts of the shipped UCR data sources, once they stop changing. */
async function showUcrTables({ db }: DemoContext): Promise<void> {
  const counts = async () =>
    Promise.all(
      ucrTables.map((table) =>
        db.one<{ n: bigint }>(`SELECT count(*) AS n FROM tributary_ucr.$1:name`, [`${domain}_${table}`]).then(
          (r) => Number(r.n),
          () => -1,
        ),
      ),
    );
  // The UCR pipeline is done when every table has rows and they stop changing.
  let last = '';
  await waitFor(async () => {
    const now = JSON.stringify(await counts());
    const settled = now === last && !now.includes('-1') && !now.includes('[0') && !now.includes(',0');
    last = now;
    if (!settled) await new Promise((resolve) => setTimeout(resolve, 1000));
    return settled;
  }, 90_000);
  const rowCounts = await counts();
  console.log(
    `\n9. UCR data sources (pipelines/ucr/*.json) as tables, read through the views tributary_ucr."${domain}_<table_id>":\n`,
  );
  console.log(
    formatTable(
      ['DATA SOURCE', 'ROWS'],
      ucrTables.map((t, i) => [t, String(rowCounts[i])]),
    ),
  );
}

/** Step 10: the first rows of each shipped report, over HTTP as a user of the domain. */
async function showReports({ receiverUrl, users }: DemoContext): Promise<void> {
  const reader = users[0]!;
  console.log(
    `\n10. The shipped reports (pipelines/ucr/reports/), over HTTP as ${reader.username}@${domain}.commcarehq.org:`,
  );
  for (const report of demoReports) {
    const response = await fetch(`${receiverUrl}/a/${domain}/reports/${report}/data?limit=5`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${reader.username}:${reader.password}`).toString('base64')}`,
      },
    });
    if (!response.ok) {
      console.log(
        `\n   GET /a/${domain}/reports/${report}/data → ${response.status} ${await response.text()}`,
      );
      continue;
    }
    printReport(report, (await response.json()) as ReportAnswer);
  }
}

interface ReportAnswer {
  title: string;
  columns: { id: string; display: string }[];
  rows: Record<string, unknown>[];
  total_row: unknown[] | null;
  total_records: number;
}

function printReport(report: string, body: ReportAnswer): void {
  console.log(
    `\n   ${body.title} — GET /a/${domain}/reports/${report}/data (${body.total_records} rows; first 5)\n`,
  );
  const cell = (v: unknown): string =>
    v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  console.log(
    formatTable(
      body.columns.map((c) => c.display.toUpperCase()),
      [
        ...body.rows.map((r) => body.columns.map((c) => cell(r[c.id]))),
        ...(body.total_row ? [body.total_row.map(cell)] : []),
      ],
    )
      .split('\n')
      .map((line) => `   ${line}`)
      .join('\n'),
  );
}

/** The end: the same, by hand. */
function printTryIt(users: ReturnType<typeof demoUsers>): void {
  // The user who filled commcare/xform/fixtures/demo-registration.xml.
  const user = users[7]!;
  console.log(`
Try it yourself (npm run tributary -- serve pipelines/examples/submissions-to-kafka.yaml pipelines/examples/ucr-to-postgres.yaml --blobs s3):
  curl -u ${user.username}@${domain}.commcarehq.org:${user.password} -H 'Content-Type: text/xml' \\
       --data-binary @commcare/xform/fixtures/demo-registration.xml http://127.0.0.1:8000/a/${domain}/receiver
  curl -u ${user.username}@${domain}.commcarehq.org:${user.password} 'http://127.0.0.1:8000/a/${domain}/reports/medications-taken/data?format=csv'
  npm run tributary -- status pipelines/examples/submissions-to-kafka.yaml     outbox backlog, dead letters
  npm run tributary -- ucr eval --config pipelines/ucr/visit-medications.json --docs pipelines/ucr/examples/followup-forms.jsonl
                                                                             try a data source offline
  npm run tributary -- serve pipelines/examples/submissions-to-kafka.yaml --blobs s3 & npm run tributary -- worker &
  open http://127.0.0.1:8000/a/${domain}/login as ${users[0]!.username} / ${users[0]!.password}: exports (live progress bar), case import, pipelines
  npm run tributary -- docs                                                  every component and its options
  npm test                                                                   the whole suite against the real stack`);
}

/** The end offset summed over partitions, per topic (0 for a topic that does not exist yet). */
async function topicEnds(admin: Admin, topics: readonly string[]): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  for (const topic of topics) {
    const offsets = await admin.topicOffsets(topic).catch(() => []);
    ends.set(
      topic,
      offsets.reduce((sum, o) => sum + BigInt(o.high), 0n),
    );
  }
  return ends;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
