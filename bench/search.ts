/**
 * The `search` scenario, three measurements:
 *
 * 1. Bulk indexing: `demo`-style form and case change events (100,000; 10,000 with `--quick`) on
 *    two topics of the run's own (Avro) → the shipped search pipeline (`pipelines/examples/search.yaml`,
 *    in this process: kafka → search-documents → search sink into `forms`, `cases` and
 *    `case_search`) vs a bare loop of the same engine client sending the same documents (the same
 *    transformation, the same bulk size and requests in flight) into indices of its own. Both are
 *    timed until every document is written (the pipeline: its committed offsets reach the end,
 *    from the first commit seen). Ratio `indexing.pipelineToBare`.
 * 2. Freshness: forms posted to `tributary serve` (receiver, relay and the search pipeline in one
 *    process) at half the maximum submission rate measured first; for each household registration,
 *    the time from its POST to its case being found by case search over HTTP (polled every 100 ms).
 * 3. Case search latency on 200,000 `case_search` documents (20,000 with `--quick`) for five typical
 *    queries (exact, fuzzy, date range, subcase-exists, ancestor path), run through the same plan
 *    resolution as the server, at CommCare's 500 results: p50/p99.
 *
 * Everything the run creates (indices, topics, primary-store rows of its domain) is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoUsers } from '../cli/demo-application.js';
import { seedDirectory } from '../cli/demo-directory.js';
import { postGenerated } from '../cli/commands/submit.js';
import { PipelineHost } from '../cli/pipeline-host.js';
import { registry } from '../cli/registry.js';
import { SubmissionClient } from '../cli/submission-client.js';
import {
  caseSearchPlan,
  caseSearchSettings,
  searchActionsOf,
  type SearchIndexName,
} from '../commcare/search/index.js';
import { readEndpoints } from '../connectors/endpoints.js';
import { createAvroSerde } from '../connectors/kafka/avro-serde.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import { SchemaRegistryClient } from '../connectors/kafka/schema-registry-client.js';
import { pgp } from '../connectors/postgres/postgres-pool.js';
import { primaryStoreTables as T } from '../connectors/postgres/primary-store.js';
import { AdaptiveLimit } from '../connectors/search/adaptive-limit.js';
import { sendBulk, type BulkAction } from '../connectors/search/bulk-writer.js';
import { connectSearchEngine } from '../connectors/search/create-search-engine.js';
import { BootstrapIndexTargets } from '../connectors/search/index-targets.js';
import type { SearchEngine } from '../connectors/search/search-engine.js';
import { readIndexDefinitions } from '../connectors/search/search-mapping-folder.js';
import { SearchReader } from '../connectors/search/search-reader.js';
import { loadPipelineText, formatProblem } from '../runtime/config/index.js';
import { silentLogger } from '../runtime/telemetry/logger.js';
import { caseSchema, formSchema, type Case } from '../schemas/generated/index.js';
import { demoChanges, householdCase, memberCase } from './demo-documents.js';
import type { ScenarioResult } from './scenario-result.js';
import { figure, percentile, ratioOf } from './spread.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shippedPipeline = join(root, 'pipelines', 'examples', 'search.yaml');
/** The shipped sink's bulk size and requests in flight (3 per lane, 4 lanes), which the bare loop matches. */
const bulkActions = 1000;
const requestsInFlight = 12;

interface Options {
  quick: boolean;
  log: (line: string) => void;
}

function sizes(quick: boolean) {
  const env = (name: string, full: number, small: number) =>
    Number(process.env[name] ?? (quick ? small : full));
  return {
    documents: env('BENCH_SEARCH_DOCUMENTS', 100_000, 10_000),
    repeats: env('BENCH_REPEATS', 2, 1),
    corpus: env('BENCH_SEARCH_CORPUS', 200_000, 20_000),
    queryRuns: env('BENCH_SEARCH_QUERY_RUNS', 200, 30),
    maxForms: env('BENCH_SUBMISSIONS', 2000, 300),
    pacedForms: env('BENCH_SEARCH_PACED', 800, 150),
  };
}

/** The search pipeline file with the run's name and topics, as YAML text. */
async function pipelineText(name: string, topics: { forms: string; cases: string }): Promise<string> {
  return (
    (await readFile(shippedPipeline, 'utf8'))
      .replace(/^name: .*$/m, `name: ${name}`)
      .replace(/topics: \[forms, cases, .*\]/, `topics: ['${topics.forms}', '${topics.cases}']`)
      // The run's own topics carry every document: no backfill from the (shared) primary store, no wait before the swap.
      .replace(/^ {4}backfill: .*$/m, '    backfill: false\n    buildStartDelayMs: 0')
  );
}

const runDir = () => mkdtemp(join(tmpdir(), 'bench-search-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- 1. bulk indexing ------------------------------------------------------------------------------

type Kafka = ReturnType<typeof createKafkaClient>;
type Admin = Awaited<ReturnType<Kafka['admin']>>;

async function produceEvents(
  kafka: Kafka,
  admin: Admin,
  topics: { forms: string; cases: string },
  documents: number,
) {
  const { forms, cases } = demoChanges(documents);
  const registryClient = new SchemaRegistryClient({ url: readEndpoints().SCHEMA_REGISTRY_URL });
  await admin.createTopics(
    Object.values(topics).map((topic) => ({ topic, partitions: 6, replicationFactor: 1, configs: {} })),
  );
  const producer = await kafka.producer();
  try {
    for (const [topic, schema, docs] of [
      [topics.forms, formSchema, forms],
      [topics.cases, caseSchema, cases],
    ] as const) {
      const serde = createAvroSerde({ subject: `${topic}-value`, schema }, registryClient);
      for (let from = 0; from < docs.length; from += 2000) {
        const slice = docs.slice(from, from + 2000) as { doc_id: string }[];
        const messages = await Promise.all(
          slice.map(async (doc) => ({ key: doc.doc_id, value: await serde.encode(doc) })),
        );
        await producer.send(topic, messages);
      }
    }
  } finally {
    await producer.close();
  }
  return { forms, cases };
}

/** Runs the shipped pipeline until its group has committed every document; documents/s after the first commit. */
async function pipelineIndexing(
  admin: Admin,
  name: string,
  topics: { forms: string; cases: string },
  prefix: string,
  total: number,
) {
  const loaded = loadPipelineText(await pipelineText(name, topics), 'search.yaml', registry, {
    SEARCH_INDEX_PREFIX: prefix,
  });
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const ends = new Map<string, bigint>();
  for (const topic of Object.values(topics))
    for (const p of await admin.topicOffsets(topic)) ends.set(`${topic}:${p.partition}`, BigInt(p.high));
  const host = new PipelineHost(silentLogger, { defaultMetrics: false });
  const started = performance.now();
  await host.start([loaded.plan]);
  let first: { at: number; done: number } | undefined;
  try {
    for (;;) {
      let committed = 0n;
      for (const topic of Object.values(topics))
        for (const { partition, offset } of await admin.groupOffsets(name, topic))
          if (offset !== '-1')
            committed +=
              BigInt(offset) > ends.get(`${topic}:${partition}`)!
                ? ends.get(`${topic}:${partition}`)!
                : BigInt(offset);
      const now = performance.now();
      const done = Number(committed);
      if (done > 0 && !first) first = { at: now, done };
      if (done >= total) {
        const steady =
          first && now > first.at
            ? (total - first.done) / ((now - first.at) / 1000)
            : total / ((now - started) / 1000);
        return steady;
      }
      if (now - started > Math.max(300_000, total * 10))
        throw new Error(`${name}: ${done}/${total} committed`);
      await sleep(50);
    }
  } finally {
    await host.stop();
  }
}

/** The same documents as the stage makes them, sent by the same client with the same limits. */
async function bareIndexing(engine: SearchEngine, prefix: string, events: unknown[]): Promise<number> {
  const definitions = await readIndexDefinitions(join(root, 'pipelines', 'search'));
  const indices = new Set<SearchIndexName>(['forms', 'cases', 'case_search']);
  const targets = new BootstrapIndexTargets(
    engine,
    new Map([...definitions].filter(([i]) => indices.has(i))),
    prefix,
    silentLogger,
  );
  await targets.start();
  const limit = new AdaptiveLimit(requestsInFlight);
  const started = performance.now();
  for (let from = 0; from < events.length; from += 4000) {
    const actions: BulkAction[] = [];
    events.slice(from, from + 4000).forEach((event, record) => {
      for (const action of searchActionsOf(event, indices)) {
        const source = `${JSON.stringify(action.doc)}\n`;
        for (const alias of targets.writeTargets(action.index)) {
          const meta = {
            index: {
              _index: alias,
              _id: action.id,
              version: action.version,
              version_type: 'external',
              require_alias: true,
            },
          };
          const lines = `${JSON.stringify(meta)}\n${source}`;
          actions.push({ record, lines, bytes: Buffer.byteLength(lines) });
        }
      }
    });
    const outcome = await sendBulk(
      engine,
      actions,
      {
        maxBulkActions: bulkActions,
        maxBulkBytes: 5 * 1024 * 1024,
        maxInFlight: requestsInFlight,
        requestTimeoutMs: 60_000,
      },
      limit,
    );
    if (outcome.refused.size || outcome.transient.length)
      throw new Error('bare indexing: the engine refused documents');
  }
  return events.length / ((performance.now() - started) / 1000);
}

async function indexedCount(engine: SearchEngine, prefix: string): Promise<number> {
  let total = 0;
  for (const index of ['forms', 'cases', 'case_search']) {
    await engine.refresh(`${prefix}${index}`);
    total += await engine.count(`${prefix}${index}`, {
      bool: { must_not: [{ term: { __is_tombstone__: true } }] },
    });
  }
  return total;
}

async function measureIndexing(
  engine: SearchEngine,
  runId: string,
  documents: number,
  repeats: number,
  log: Options['log'],
) {
  const kafka = createKafkaClient('platformatic', {
    brokers: [...readEndpoints().KAFKA_BROKERS],
    clientId: 'tributary-bench-search',
  });
  const admin = await kafka.admin();
  const topics = { forms: `${runId}.forms`, cases: `${runId}.cases` };
  try {
    const { forms, cases } = await produceEvents(kafka, admin, topics, documents);
    const events = [...forms, ...cases];
    const expected = forms.length + 2 * cases.length;
    const rates = { pipeline: [] as number[], bare: [] as number[] };
    for (let r = 0; r < repeats; r++) {
      for (const side of r % 2 ? (['bare', 'pipeline'] as const) : (['pipeline', 'bare'] as const)) {
        const prefix = `${runId}_${side[0]}${r}_`;
        const rate =
          side === 'pipeline'
            ? await pipelineIndexing(admin, `${runId}_p${r}`, topics, prefix, documents)
            : await bareIndexing(engine, prefix, events);
        const count = await indexedCount(engine, prefix);
        if (count !== expected) throw new Error(`${side} indexed ${count} documents, expected ${expected}`);
        rates[side].push(rate);
        log(`search: indexing ${side} repeat ${r + 1}: ${Math.round(rate)} documents/s`);
      }
    }
    return rates;
  } finally {
    await admin.deleteTopics(Object.values(topics)).catch(() => undefined);
    await admin.close();
  }
}

// ---- 2. freshness ----------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startServe(
  runId: string,
  searchFile: string,
  topics: { forms: string; cases: string },
  prefix: string,
) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      'dist/cli/main.js',
      'serve',
      'pipelines/examples/submissions-to-kafka.yaml',
      searchFile,
      '--port',
      String(port),
      '--blobs',
      's3',
      '--metrics-port',
      '0',
      '--outbox-table',
      `${runId}.outbox`,
      '--outbox-channel',
      `${runId}_outbox`,
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        OUTBOX_TABLE: `${runId}.outbox`,
        OUTBOX_CHANNEL: `${runId}_outbox`,
        FORMS_TOPIC: topics.forms,
        CASES_TOPIC: topics.cases,
        SEARCH_INDEX_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', process.env.BENCH_SEARCH_DEBUG ? 'inherit' : 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (
    !(await fetch(`${url}/healthz`)
      .then((r) => r.ok)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error('tributary serve did not start');
    await sleep(200);
  }
  return { child, url };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000).then(() => child.kill('SIGKILL'))]);
}

/** Polls case search for the household cases of posted registrations; the time each was first found. */
class FoundTimes {
  readonly found = new Map<string, number>();
  /** Answers that were not 200, for the error when nothing is found. */
  readonly failures: string[] = [];
  private readonly pending = new Map<string, string>(); // case id → form id
  constructor(
    private readonly url: string,
    private readonly domain: string,
    private readonly auth: string,
  ) {}
  add(caseId: string, formId: string) {
    this.pending.set(caseId, formId);
  }
  get waiting() {
    return this.pending.size;
  }
  async poll(): Promise<void> {
    const ids = [...this.pending.keys()];
    for (let from = 0; from < ids.length; from += 200) {
      const chunk = ids.slice(from, from + 200);
      const query = encodeURIComponent(`selected(@case_id, '${chunk.join(' ')}')`);
      const response = await fetch(
        `${this.url}/a/${this.domain}/phone/search/?case_type=household&include_closed=true&_xpath_query=${query}`,
        {
          headers: { authorization: this.auth, accept: 'application/json' },
        },
      );
      if (!response.ok) {
        this.failures.push(`${response.status} ${(await response.text()).slice(0, 300)}`);
        continue;
      }
      const at = Date.now();
      for (const c of ((await response.json()) as { cases: { case_id: string }[] }).cases) {
        const formId = this.pending.get(c.case_id);
        if (formId === undefined) continue;
        this.pending.delete(c.case_id);
        this.found.set(formId, at);
      }
    }
  }
}

async function measureFreshness(runId: string, maxForms: number, pacedForms: number, log: Options['log']) {
  const endpoints = readEndpoints();
  const domain = runId.replace(/_/g, '-');
  const users = demoUsers(16, domain);
  await seedDirectory({ couchUrl: endpoints.COUCHDB_URL, domain, users });
  const db = pgp({ connectionString: endpoints.DATABASE_URL, max: 4 });
  const dir = await runDir();
  const topics = { forms: `${runId}.fresh.forms`, cases: `${runId}.fresh.cases` };
  const searchFile = join(dir, 'search.yaml');
  await writeFile(searchFile, await pipelineText(`${runId}_fresh`, topics));
  await db.none('CREATE SCHEMA IF NOT EXISTS $1:name', [runId]);
  const serve = await startServe(runId, searchFile, topics, `${runId}_f_`);
  try {
    const client = new SubmissionClient(serve.url, 32);
    const max = await postGenerated(client, { domain, count: maxForms, concurrency: 32, seed: 21, users });
    const rate = Math.max(5, max.perSecond / 2);
    log(`search: freshness: max ${max.perSecond} forms/s; posting ${pacedForms} at ${rate.toFixed(1)}/s`);
    const user = users[0]!;
    const found = new FoundTimes(
      serve.url,
      domain,
      `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
    );
    const postedAt = new Map<string, number>();
    const acked: string[] = [];
    let posting = true;
    let deadline = Infinity;
    const poller = (async () => {
      while (posting || found.waiting) {
        const batch = acked.splice(0);
        if (batch.length) {
          const rows = await db.any<{ form_id: string; case_id: string }>(
            `SELECT form_id, event->'case_ids'->>0 AS case_id FROM ${T.forms} WHERE form_id IN ($1:csv) AND xmlns LIKE '%registration%'`,
            [batch],
          );
          for (const row of rows) found.add(row.case_id, row.form_id);
        }
        await found.poll();
        if (process.env.BENCH_SEARCH_DEBUG)
          log(
            `search: freshness poll: ${acked.length} acked waiting, ${found.waiting} looked for, ${found.found.size} found`,
          );
        if (!posting && Date.now() > deadline) break;
        await sleep(100);
      }
    })();
    const paced = await postGenerated(client, {
      domain,
      count: pacedForms,
      concurrency: 32,
      seed: 22,
      users,
      rate,
      onResult: (formId, result) => {
        postedAt.set(formId, Date.now() - result.latencyMs);
        acked.push(formId);
      },
    });
    client.close();
    deadline = Date.now() + 120_000;
    posting = false;
    await poller;
    const latencies = [...found.found].map(([formId, at]) => at - postedAt.get(formId)!);
    if (!latencies.length) {
      throw new Error(
        `no registration was found by case search (${postedAt.size} forms acknowledged, ${found.waiting} cases looked for; ${found.failures.slice(0, 2).join('; ') || 'no failed request'})`,
      );
    }
    return { max: max.perSecond, paced: paced.perSecond, latencies, unfound: found.waiting };
  } finally {
    await stopChild(serve.child);
    await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [runId]).catch(() => undefined);
    await db
      .none(
        `DELETE FROM ${T.caseTransactions} WHERE form_id IN (SELECT form_id FROM ${T.forms} WHERE domain = $1);
         DELETE FROM ${T.caseIndices} WHERE case_id IN (SELECT case_id FROM ${T.cases} WHERE domain = $1);
         DELETE FROM ${T.forms} WHERE domain = $1; DELETE FROM ${T.cases} WHERE domain = $1`,
        [domain],
      )
      .catch(() => undefined);
    await db.$pool.end();
    const kafka = createKafkaClient('platformatic', {
      brokers: [...endpoints.KAFKA_BROKERS],
      clientId: 'tributary-bench-search',
    });
    const admin = await kafka.admin();
    await admin.deleteTopics(Object.values(topics)).catch(() => undefined);
    await admin.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- 3. case search latency ------------------------------------------------------------------------

const queries = [
  { name: 'exact', caseType: 'household', xpath: "village = 'Lindi'" },
  { name: 'fuzzy', caseType: 'member', xpath: "fuzzy-match(name, 'Amna Otieno')" },
  { name: 'dateRange', caseType: 'member', xpath: "dob >= '1980-01-01' and dob < '1990-01-01'" },
  { name: 'subcaseExists', caseType: 'household', xpath: "subcase-exists('parent', age > 80)" },
  { name: 'ancestorPath', caseType: 'member', xpath: "parent/village = 'Lindi' and age < 5" },
] as const;

async function loadCorpus(engine: SearchEngine, prefix: string, corpus: number): Promise<void> {
  const definitions = await readIndexDefinitions(join(root, 'pipelines', 'search'));
  const targets = new BootstrapIndexTargets(
    engine,
    new Map([['case_search', definitions.get('case_search')!]]),
    prefix,
    silentLogger,
  );
  await targets.start();
  const households = Math.round(corpus * 0.4);
  const limit = new AdaptiveLimit(requestsInFlight);
  const indices = new Set<SearchIndexName>(['case_search']);
  for (let from = 0; from < corpus; from += 5000) {
    const actions: BulkAction[] = [];
    for (let i = from; i < Math.min(corpus, from + 5000); i++) {
      const event: Case = i < households ? householdCase(i + 1) : memberCase(i + 1);
      for (const action of searchActionsOf(event, indices)) {
        const lines = `${JSON.stringify({ index: { _index: targets.writeTargets('case_search')[0], _id: action.id, version: action.version, version_type: 'external' } })}\n${JSON.stringify(action.doc)}\n`;
        actions.push({ record: i, lines, bytes: Buffer.byteLength(lines) });
      }
    }
    await sendBulk(
      engine,
      actions,
      { maxBulkActions: 2000, maxBulkBytes: 8 * 1024 * 1024, maxInFlight: 4, requestTimeoutMs: 120_000 },
      limit,
    );
  }
  await engine.refresh(`${prefix}case_search`);
}

async function measureLatency(
  engine: SearchEngine,
  runId: string,
  corpus: number,
  runs: number,
  log: Options['log'],
) {
  const prefix = `${runId}_q_`;
  const loadStarted = performance.now();
  await loadCorpus(engine, prefix, corpus);
  log(
    `search: ${corpus} case_search documents loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
  );
  const reader = new SearchReader(engine, prefix);
  const times: Record<string, number[]> = {};
  const found: Record<string, number> = {};
  const once = async (q: (typeof queries)[number]) => {
    const plan = caseSearchPlan({
      domain: 'demo',
      params: new Map([
        ['case_type', [q.caseType]],
        ['_xpath_query', [q.xpath]],
      ]),
      settings: caseSearchSettings(undefined, [q.caseType]),
      timeZone: 'UTC',
      now: Date.now(),
    });
    const started = performance.now();
    const result = await reader.caseSearch(plan, q.xpath);
    found[q.name] = result.total;
    return performance.now() - started;
  };
  for (const q of queries) for (let i = 0; i < 5; i++) await once(q);
  for (let i = 0; i < runs; i++) for (const q of queries) (times[q.name] ??= []).push(await once(q));
  return { times, found };
}

// ---- the scenario ----------------------------------------------------------------------------------

export async function searchScenario({ quick, log }: Options): Promise<ScenarioResult> {
  const started = performance.now();
  const size = sizes(quick);
  const runId = `bench_search_${randomBytes(3).toString('hex')}`;
  const engine = await connectSearchEngine(readEndpoints().SEARCH_URL);
  try {
    log(`search: indexing ${size.documents} documents × ${size.repeats} (pipeline and bare)`);
    const rates = await measureIndexing(engine, runId, size.documents, size.repeats, log);
    const fresh = await measureFreshness(runId, size.maxForms, size.pacedForms, log);
    const latency = await measureLatency(engine, runId, size.corpus, size.queryRuns, log);
    const figures: ScenarioResult['figures'] = {
      'indexing.pipelineDocumentsPerSecond': figure(rates.pipeline, 'documents/s'),
      'indexing.bareDocumentsPerSecond': figure(rates.bare, 'documents/s'),
      'freshness.maxSubmissionsPerSecond': figure([fresh.max], 'submissions/s'),
      'freshness.pacedSubmissionsPerSecond': figure([fresh.paced], 'submissions/s'),
      'freshness.p50Ms': figure([percentile(fresh.latencies, 50)], 'ms'),
      'freshness.p99Ms': figure([percentile(fresh.latencies, 99)], 'ms'),
    };
    for (const q of queries) {
      figures[`query.${q.name}.p50Ms`] = figure([percentile(latency.times[q.name]!, 50)], 'ms');
      figures[`query.${q.name}.p99Ms`] = figure([percentile(latency.times[q.name]!, 99)], 'ms');
    }
    return {
      scenario: 'search',
      figures,
      ratios: {
        'indexing.pipelineToBare': ratioOf(
          rates.pipeline,
          rates.bare,
          'indexing.pipelineDocumentsPerSecond',
          'indexing.bareDocumentsPerSecond',
        ),
      },
      peakRssMiB: {},
      headline: [
        'indexing.pipelineDocumentsPerSecond',
        'indexing.bareDocumentsPerSecond',
        'freshness.p99Ms',
        ...queries.map((q) => `query.${q.name}.p99Ms`),
      ],
      seconds: (performance.now() - started) / 1000,
      setup: { ...size, bulkActions, requestsInFlight, engine: `${engine.kind} ${engine.version}` },
      details: {
        freshness: { timedRegistrations: fresh.latencies.length, notFound: fresh.unfound },
        queries: queries.map((q) => ({ ...q, found: latency.found[q.name] })),
      },
    };
  } finally {
    for (const index of await engine.indices(`${runId}_*`).catch(() => []))
      await engine.deleteIndex(index.name).catch(() => undefined);
    await engine.close();
  }
}
