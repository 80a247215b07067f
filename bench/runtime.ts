/**
 * The `runtime` scenario: what the framework costs on top of a bare consumer of the same Kafka
 * client, on the same records in the same run, for each Kafka client library.
 *
 *  (a) noop:     a bare consume loop that only counts   vs  kafka → noop processor → noop sink
 *  (b) postgres: a bare consume loop that decodes and COPYs every row into an append-only table
 *                vs  kafka → postgres sink (versioned upsert, one transaction per batch)
 *
 * plus the PostgreSQL sink's write methods on their own (no Kafka): the real PostgresSink with
 * `method: insert` (multi-row `INSERT … ON CONFLICT`) and `method: copy` (COPY into a temporary
 * staging table, then `INSERT … SELECT … ON CONFLICT`), at batch sizes 500 and 5000, with a plain
 * COPY append of the same rows as the ceiling; and a CPU profile of each pipeline
 * run (a child process under `node --cpu-prof`), summarised by self time.
 *
 * Records/s are counted from the first batch a consumer receives to the last record counted (bare)
 * or written by the sink (pipeline): the group join, the same for both sides, is reported apart.
 * Every measurement uses a new consumer group on one topic produced once per run; every write
 * goes to a new table. Ratios are pipeline / bare, repeat by repeat.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PipelineHost } from '../cli/pipeline-host.js';
import { connectors } from '../connectors/index.js';
import { readEndpoints } from '../connectors/endpoints.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import type { ConsumerOptions, KafkaClient } from '../connectors/kafka/kafka-client.js';
import { postgresSink } from '../connectors/postgres/postgres-sink.js';
import { processors } from '../processors/index.js';
import { loadPipelineText, type Delivery, type PipelinePlan } from '../runtime/config/index.js';
import type {
  ComponentSpec,
  Sink,
  SinkRecord,
  SinkSpec,
  Source,
  SourceRecord,
  SourceSpec,
} from '../runtime/contract/index.js';
import { ResourcePool } from '../runtime/engine/resources.js';
import { createRegistry, type Registry } from '../runtime/registry/index.js';
import { silentLogger } from '../runtime/telemetry/logger.js';
import { readProfile, summariseProfile, type ProfileSummary } from './cpuprofile-summary.js';
import { ratioSpread, round3, spread } from './spread.js';

export const libraries = ['kafkajs', 'platformatic'] as const;
export type Library = (typeof libraries)[number];
/**
 * The pipelines compared: `noop` (values passed on as bytes, as the bare loop that only counts),
 * `noopJson` (values decoded as JSON, against a bare loop that JSON.parses) and `postgres`
 * (values decoded as JSON, into the PostgreSQL sink, against a bare loop that decodes and COPYs).
 */
export const pipelineKinds = ['noop', 'noopJson', 'postgres'] as const;
export type PipelineKind = (typeof pipelineKinds)[number];

export interface RuntimeOptions {
  quick: boolean;
  /** Take and summarise CPU profiles of the pipeline runs. */
  profile: boolean;
  /** Where profiles go (a folder per run is made inside). */
  resultsDir: string;
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

const partitions = 6;
const versionsPerKey = 5;
const aims: Record<PipelineKind, number> = { noop: 0.9, noopJson: 0.9, postgres: 0.7 };

function sizes(quick: boolean) {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return quick
    ? {
        records: env('BENCH_RUNTIME_RECORDS', 50_000),
        repeats: env('BENCH_REPEATS', 1),
        sinkRows: env('BENCH_SINK_ROWS', 20_000),
      }
    : {
        records: env('BENCH_RUNTIME_RECORDS', 200_000),
        repeats: env('BENCH_REPEATS', 3),
        sinkRows: env('BENCH_SINK_ROWS', 50_000),
      };
}

// ---- the records ---------------------------------------------------------------------------------

export interface BenchDoc {
  id: string;
  version: number;
  domain: string;
  doc_type: string;
  owner_id: string;
  modified_on: string;
  properties: { name: string; status: string; visits: number; district: string };
}

/** Version `version` of document `key`: a small case-like JSON document of about 250 bytes. */
export function benchDoc(key: number, version: number): BenchDoc {
  return {
    id: `doc-${key.toString().padStart(6, '0')}`,
    version,
    domain: 'bench-project',
    doc_type: 'CommCareCase',
    owner_id: `owner-${(key % 97).toString().padStart(3, '0')}`,
    modified_on: new Date(Date.UTC(2026, 0, 1) + version * 3_600_000 + key * 1_000).toISOString(),
    properties: {
      name: `Household member ${key}`,
      status: version % 2 ? 'open' : 'closed',
      visits: version,
      district: `district-${key % 13}`,
    },
  };
}

/** `keys` documents, each in `versionsPerKey` versions, versions in order and interleaved across keys. */
export function* benchDocs(records: number): Generator<BenchDoc> {
  const keys = Math.ceil(records / versionsPerKey);
  for (let i = 0; i < records; i++) yield benchDoc(i % keys, Math.floor(i / keys) + 1);
}

// ---- timing --------------------------------------------------------------------------------------

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export interface Timing {
  records: number;
  /** From the first batch received to the last record done: the figure compared. */
  recordsPerSecond: number;
  /** From start (group join included) to the last record done. */
  recordsPerSecondWithJoin: number;
  joinSeconds: number;
  /** Batches the consumer (bare) or the source (pipeline) delivered. */
  batches: number;
  /** Pipelines: calls to the sink's write and to the source's commit, with their mean time. */
  writes?: { count: number; meanMs: number; meanRecords: number };
  commits?: { count: number; meanMs: number };
  /** The steady window in the monotonic clock of `process.hrtime` (µs), for the profile. */
  windowUs: { fromUs: number; toUs: number };
}

/** Calls of one kind and the time they took. */
class CallTimes {
  count = 0;
  private totalUs = 0;
  private items = 0;

  async time<T>(items: number, call: () => Promise<T>): Promise<T> {
    const started = nowUs();
    try {
      return await call();
    } finally {
      this.count++;
      this.items += items;
      this.totalUs += nowUs() - started;
    }
  }

  summary() {
    return {
      count: this.count,
      meanMs: round3(this.totalUs / 1000 / Math.max(1, this.count)),
      meanRecords: Math.round(this.items / Math.max(1, this.count)),
    };
  }
}

/** Counts records until `expected` are done; knows when the first batch came. */
class Probe {
  private readonly startedUs = nowUs();
  private firstUs = 0;
  private count = 0;
  private batches = 0;
  readonly writes = new CallTimes();
  readonly commits = new CallTimes();
  private settle!: { resolve: (doneUs: number) => void; reject: (error: Error) => void };
  private readonly finished = new Promise<number>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(readonly expected: number) {}

  /** A batch arrived. */
  batch(): void {
    if (this.firstUs === 0) this.firstUs = nowUs();
    this.batches++;
  }

  add(records: number): void {
    this.count += records;
    if (this.count >= this.expected) this.settle.resolve(nowUs());
  }

  fail(error: Error): void {
    this.settle.reject(error);
  }

  async done(timeoutMs: number): Promise<Timing> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`timed out after ${timeoutMs} ms with ${this.count}/${this.expected} records`)),
        timeoutMs,
      );
    });
    try {
      const doneUs = await Promise.race([this.finished, timeout]);
      return {
        records: this.count,
        recordsPerSecond: (this.count * 1e6) / (doneUs - this.firstUs),
        recordsPerSecondWithJoin: (this.count * 1e6) / (doneUs - this.startedUs),
        joinSeconds: (this.firstUs - this.startedUs) / 1e6,
        batches: this.batches,
        ...(this.writes.count ? { writes: this.writes.summary() } : {}),
        ...(this.commits.count
          ? { commits: (({ count, meanMs }) => ({ count, meanMs }))(this.commits.summary()) }
          : {}),
        windowUs: { fromUs: this.firstUs, toUs: doneUs },
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

const timeoutFor = (records: number) => Math.max(60_000, records); // 1 ms a record, at least a minute

// ---- the pipelines -------------------------------------------------------------------------------

export interface RunSetup {
  runId: string;
  topic: string;
  records: number;
  keys: number;
}

export function pipelineYaml(
  setup: RunSetup,
  kind: PipelineKind,
  library: Library,
  name: string,
  table?: string,
) {
  const sink =
    kind !== 'postgres'
      ? '    type: noop'
      : `    type: postgres
    table: ${table}
    key: [doc_id]
    versionField: version
    createTable: true`;
  return `
name: ${name}
source:
  type: kafka
  topics: [${setup.topic}]
  client: ${library}
  partitions: ${partitions}
  compact: false
  value: { format: ${kind === 'noop' ? 'bytes' : 'json'} }
processors: ${kind === 'postgres' ? '[]' : '[{ type: noop }]'}
sinks:
  out:
${sink}
deadLetter:
  topic: ${setup.runId}.dead-letter
  table: false
`;
}

/**
 * The registry of the CLI with two thin wrappers, so the bench sees what the pipeline does without
 * changing it: the Kafka source counts its batches and times its commits, every sink counts and
 * times what it wrote durably.
 */
function probedRegistry(probe: Probe): Registry {
  const source = (spec: SourceSpec): SourceSpec => ({
    ...spec,
    create: async (config, ctx) => {
      const inner: Source = await spec.create(config, ctx);
      return {
        start: (handler) =>
          inner.start({
            ...handler,
            onBatch: (lane, records, next, control) => {
              probe.batch();
              return handler.onBatch(lane, records, next, control);
            },
          }),
        commit: (lane, next) => probe.commits.time(1, () => inner.commit(lane, next)),
        stop: () => inner.stop(),
      };
    },
  });
  const sink = (spec: SinkSpec): SinkSpec => ({
    ...spec,
    create: async (config, ctx) => {
      const inner: Sink = await spec.create(config, ctx);
      return {
        start: () => inner.start?.() ?? Promise.resolve(),
        close: () => inner.close?.() ?? Promise.resolve(),
        write: async (records) => {
          const result = await probe.writes.time(records.length, () => inner.write(records));
          probe.add(records.length - result.failed.length);
          return result;
        },
      };
    },
  });
  const probed = (spec: ComponentSpec): ComponentSpec =>
    spec.kind === 'sink' ? sink(spec) : spec.kind === 'source' && spec.name === 'kafka' ? source(spec) : spec;
  return createRegistry([...connectors.map(probed), ...processors]);
}

export function loadPlan(yaml: string, registry: Registry): PipelinePlan {
  const loaded = loadPipelineText(yaml, 'bench-runtime.yaml', registry, process.env);
  if (!loaded.ok) throw new Error(`bench pipeline is invalid: ${JSON.stringify(loaded.problems)}`);
  return loaded.plan;
}

/** Runs one pipeline in this process until its sink has written `expected` records. */
export async function runPipeline(yaml: string, expected: number): Promise<Timing & { deadLetters: number }> {
  const probe = new Probe(expected);
  const plan = loadPlan(yaml, probedRegistry(probe));
  const host = new PipelineHost(silentLogger, { defaultMetrics: false });
  host.onFatal((error) => probe.fail(error));
  await host.start([plan]);
  try {
    const timing = await probe.done(timeoutFor(expected));
    const deadLetters = (await host.metrics.deadLetters.get()).values.reduce((sum, v) => sum + v.value, 0);
    return { ...timing, deadLetters };
  } finally {
    await host.stop();
  }
}

// ---- the bare baselines --------------------------------------------------------------------------

function consumerOptions(groupId: string, topic: string, delivery: Delivery): ConsumerOptions {
  // What the Kafka source asks of the client, with the pipeline's delivery settings.
  return {
    groupId,
    topics: [topic],
    fromBeginning: true,
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3_000,
    rebalanceTimeoutMs: 60_000,
    maxBytes: delivery.maxBatchBytes,
    partitionsInFlight: delivery.maxInFlight,
    clientId: 'tributary-bench',
  };
}

async function bareConsume(
  client: KafkaClient,
  options: ConsumerOptions,
  expected: number,
  onMessages: (messages: { key: Buffer | null; value: Buffer | null }[]) => Promise<void> | void,
): Promise<Timing> {
  const probe = new Probe(expected);
  const consumer = client.consumer(options);
  await consumer.start({
    onBatch: async (batch) => {
      probe.batch();
      try {
        await onMessages(batch.messages);
        probe.add(batch.messages.length);
      } catch (error) {
        probe.fail(error as Error);
      }
    },
  });
  try {
    return await probe.done(timeoutFor(expected));
  } finally {
    await consumer.stop();
  }
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
export function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : value;
}

/** One COPY … FROM STDIN of `text` on a pooled connection. */
export async function copyInto(pool: pg.Pool, sql: string, text: string): Promise<void> {
  const client = await pool.connect();
  try {
    await streamPipeline(Readable.from([text]), client.query(copyFrom(sql)));
  } finally {
    client.release();
  }
}

const documentTable = (table: string, primaryKey: boolean) =>
  `CREATE TABLE ${table} (doc_id text ${primaryKey ? 'PRIMARY KEY' : 'NOT NULL'}, version bigint NOT NULL, ` +
  `doc jsonb, updated_at timestamptz NOT NULL DEFAULT now())`;

export interface BareContext {
  setup: RunSetup;
  client: KafkaClient;
  delivery: Delivery;
  pool: pg.Pool;
}

/**
 * The bare baseline of `kind` on a new consumer group: `noop` only counts, `noopJson` parses
 * every value, `postgres` parses every value and COPYs the batch into a new append-only `table`.
 */
export async function runBare(
  kind: PipelineKind,
  ctx: BareContext,
  groupId: string,
  table?: string,
): Promise<Timing> {
  const options = consumerOptions(groupId, ctx.setup.topic, ctx.delivery);
  const expected = ctx.setup.records;
  switch (kind) {
    case 'noop':
      return bareConsume(ctx.client, options, expected, () => {});
    case 'noopJson':
      return bareConsume(ctx.client, options, expected, (messages) => {
        for (const message of messages) JSON.parse(message.value!.toString('utf8'));
      });
    case 'postgres': {
      if (!table) throw new Error('the postgres baseline needs a table');
      await ctx.pool.query(documentTable(table, false));
      const sql = `COPY ${table} (doc_id, version, doc) FROM STDIN`;
      return bareConsume(ctx.client, options, expected, (messages) => {
        let text = '';
        for (const message of messages) {
          const value = message.value!.toString('utf8');
          const doc = JSON.parse(value) as BenchDoc;
          text += `${copyText(message.key!.toString('utf8'))}\t${doc.version}\t${copyText(value)}\n`;
        }
        return copyInto(ctx.pool, sql, text);
      });
    }
  }
}

// ---- the PostgreSQL sink's write method, without Kafka ---------------------------------------------

type Writer = (records: SinkRecord[]) => Promise<unknown>;

function sinkRecords(rows: number): SinkRecord[] {
  const timestamp = Date.now();
  return [...benchDocs(rows)].map((doc, i) => {
    const origin: SourceRecord = {
      key: doc.id,
      value: doc,
      headers: {},
      timestamp,
      position: { lane: 'bench:0', offset: String(i) },
      raw: { key: null, value: null, headers: {} },
    };
    return { key: doc.id, value: doc, headers: {}, timestamp, origin };
  });
}

/**
 * `insertOnConflict` and `copyStaging` are the real sink with `method: insert` and `method: copy`;
 * `copyAppend` a plain COPY into a table without a key (the ceiling).
 */
const sinkMethods = ['insertOnConflict', 'copyStaging', 'copyAppend'] as const;
type SinkMethod = (typeof sinkMethods)[number];

async function timeSinkMethod(
  method: SinkMethod,
  records: SinkRecord[],
  batchSize: number,
  table: string,
  delivery: Delivery,
): Promise<number> {
  const url = readEndpoints().DATABASE_URL;
  const resources = new ResourcePool();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    let write: Writer;
    if (method === 'insertOnConflict' || method === 'copyStaging') {
      const config = postgresSink.config.parse({
        url,
        table,
        key: ['doc_id'],
        versionField: 'version',
        createTable: true,
        poolSize: 2,
        method: method === 'copyStaging' ? 'copy' : 'insert',
      });
      const sink = await postgresSink.create(config, {
        pipeline: 'bench',
        logger: silentLogger,
        signal: new AbortController().signal,
        endpoints: readEndpoints(),
        resource: () => {
          throw new Error('no declared resources in this benchmark');
        },
        resources,
        delivery,
      });
      await sink.start?.();
      write = (batch) => sink.write(batch);
    } else {
      await pool.query(documentTable(table, false));
      write = (batch) =>
        copyInto(
          pool,
          `COPY ${table} (doc_id, version, doc) FROM STDIN`,
          batch
            .map(
              (r) =>
                `${copyText(r.key!)}\t${(r.value as BenchDoc).version}\t${copyText(JSON.stringify(r.value))}\n`,
            )
            .join(''),
        );
    }
    await pool.query('SELECT 1'); // connections open before the clock starts
    const started = performance.now();
    for (let from = 0; from < records.length; from += batchSize)
      await write(records.slice(from, from + batchSize));
    const seconds = (performance.now() - started) / 1000;
    return records.length / seconds;
  } finally {
    await resources.close();
    await pool.end();
  }
}

/**
 * Rows/s of each sink write method at batches of 500 and 5000, `repeats` times each, methods
 * alternating in order; every run writes into a new table in the (existing) schema `schema`.
 */
export async function measureSinkWriteMethods(
  schema: string,
  rows: number,
  repeats: number,
  delivery: Delivery,
  log: (line: string) => void,
): Promise<Record<string, Record<SinkMethod, number[]>>> {
  const input = sinkRecords(rows);
  const results: Record<string, Record<SinkMethod, number[]>> = {};
  for (const batchSize of [500, 5000]) {
    const perMethod = { insertOnConflict: [], copyStaging: [], copyAppend: [] } as Record<
      SinkMethod,
      number[]
    >;
    for (let repeat = 0; repeat < repeats; repeat++) {
      const order = repeat % 2 === 0 ? sinkMethods : [...sinkMethods].reverse();
      for (const method of order) {
        const table = `${schema}.${method.toLowerCase()}_${batchSize}_${repeat}`;
        perMethod[method].push(await timeSinkMethod(method, input, batchSize, table, delivery));
      }
    }
    results[batchSize] = perMethod;
    log(
      `runtime: batch ${batchSize}: ` +
        sinkMethods.map((m) => `${m} ${Math.round(spread(perMethod[m]).median)} rows/s`).join(', '),
    );
  }
  return results;
}

// ---- profiles ------------------------------------------------------------------------------------

export type Side = 'bare' | 'pipeline';

/**
 * Which runs are profiled, as `library/kind/side`; BENCH_PROFILES overrides (comma-separated).
 * A kind profiled on both sides also gets a comparison: the extra CPU per record, by category.
 */
function profileRuns(quick: boolean): string[] {
  if (process.env.BENCH_PROFILES) return process.env.BENCH_PROFILES.split(',').filter(Boolean);
  return quick
    ? ['platformatic/noop/bare', 'platformatic/noop/pipeline', 'platformatic/postgres/pipeline']
    : [
        'platformatic/noop/bare',
        'platformatic/noop/pipeline',
        'kafkajs/noop/bare',
        'kafkajs/noop/pipeline',
        'platformatic/postgres/pipeline',
      ];
}

export interface ChildRequest {
  setup: RunSetup;
  kind: PipelineKind;
  library: Library;
  side: Side;
  /** Pipeline name (and consumer group). */
  name: string;
  table?: string;
}

export interface ChildReport {
  timing: Timing;
}

/** The default delivery settings of a pipeline, which the bare loops use too. */
export function defaultDelivery(setup: RunSetup): Delivery {
  return loadPlan(pipelineYaml(setup, 'noop', 'kafkajs', setup.runId), probedRegistry(new Probe(0))).delivery;
}

interface Profiled {
  file: string;
  records: number;
  recordsPerSecondUnderProfiler: number;
  summary: ProfileSummary;
}

async function profiledRun(request: ChildRequest, dir: string): Promise<Profiled> {
  const child = fileURLToPath(new URL('./runtime-child.js', import.meta.url));
  const name = `${request.library}-${request.kind}-${request.side}.cpuprofile`;
  const proc = spawn(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', name, child, JSON.stringify(request)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((done) => proc.on('close', done));
  if (code !== 0)
    throw new Error(`profiled ${request.library}/${request.kind}/${request.side} run exited with ${code}`);
  const report = JSON.parse(out) as ChildReport;
  const file = join(dir, name);
  const summary = summariseProfile(await readProfile(file), { top: 15, window: report.timing.windowUs });
  return {
    file,
    records: report.timing.records,
    recordsPerSecondUnderProfiler: Math.round(report.timing.recordsPerSecond),
    summary,
  };
}

/** CPU per record (µs) by category on both sides, sorted by what the pipeline adds. */
function compareProfiles(bare: Profiled, pipeline: Profiled) {
  const perRecord = (profiled: Profiled) =>
    new Map(profiled.summary.byCategory.map((c) => [c.category, (c.selfMs * 1000) / profiled.records]));
  const b = perRecord(bare);
  const p = perRecord(pipeline);
  const busy = (profiled: Profiled) => (profiled.summary.busyMs * 1000) / profiled.records;
  return {
    busyMicrosecondsPerRecord: { bare: round3(busy(bare)), pipeline: round3(busy(pipeline)) },
    byCategory: [...new Set([...b.keys(), ...p.keys()])]
      .map((category) => ({
        category,
        bare: round3(b.get(category) ?? 0),
        pipeline: round3(p.get(category) ?? 0),
        extra: round3((p.get(category) ?? 0) - (b.get(category) ?? 0)),
      }))
      .sort((x, y) => y.extra - x.extra),
    unit: 'busy CPU µs per record, in the steady window, under the profiler',
  };
}

// ---- the scenario --------------------------------------------------------------------------------

interface PairRuns {
  bare: Timing[];
  pipeline: Timing[];
}

function pairResult(runs: PairRuns, aim: number) {
  const side = (timings: Timing[]) => {
    const of = (pick: (t: Timing) => number | undefined) => {
      const values = timings.map(pick).filter((v): v is number => v !== undefined);
      return values.length ? spread(values) : undefined;
    };
    return {
      recordsPerSecond: of((t) => t.recordsPerSecond),
      recordsPerSecondWithJoin: of((t) => t.recordsPerSecondWithJoin),
      joinSeconds: of((t) => t.joinSeconds),
      batches: of((t) => t.batches),
      sinkWriteMeanMs: of((t) => t.writes?.meanMs),
      sinkWriteMeanRecords: of((t) => t.writes?.meanRecords),
      commitMeanMs: of((t) => t.commits?.meanMs),
    };
  };
  const ratio = ratioSpread(
    runs.pipeline.map((t) => t.recordsPerSecond),
    runs.bare.map((t) => t.recordsPerSecond),
  );
  return { bare: side(runs.bare), pipeline: side(runs.pipeline), ratio, aim, aimMet: ratio.median >= aim };
}

export async function runtimeScenario(options: RuntimeOptions) {
  const { log } = options;
  const { records, repeats, sinkRows } = sizes(options.quick);
  const runId = `bench_rt_${randomBytes(3).toString('hex')}`;
  const setup: RunSetup = {
    runId,
    topic: `${runId}.docs`,
    records,
    keys: Math.ceil(records / versionsPerKey),
  };
  const brokers = [...readEndpoints().KAFKA_BROKERS];
  const clients = Object.fromEntries(
    libraries.map((library) => [
      library,
      createKafkaClient(library, { brokers, clientId: `tributary-bench-${library}` }),
    ]),
  ) as Record<Library, KafkaClient>;
  const delivery = defaultDelivery(setup);
  const pool = new pg.Pool({ connectionString: readEndpoints().DATABASE_URL, max: 10 });
  const admin = await clients.kafkajs.admin();
  const started = performance.now();

  try {
    await pool.query(`CREATE SCHEMA ${runId}`);
    await admin.createTopics([
      { topic: setup.topic, partitions, replicationFactor: 1, configs: { 'cleanup.policy': 'delete' } },
    ]);

    // The records, produced once.
    const values = [...benchDocs(records)].map((doc) => ({ key: doc.id, value: JSON.stringify(doc) }));
    const meanValueBytes = values.reduce((sum, m) => sum + m.value.length, 0) / values.length;
    const producer = await clients.platformatic.producer();
    const produceStarted = performance.now();
    for (let from = 0; from < values.length; from += 5_000)
      await producer.send(setup.topic, values.slice(from, from + 5_000));
    const produceSeconds = (performance.now() - produceStarted) / 1000;
    await producer.close();
    const produced = (await admin.topicOffsets(setup.topic)).reduce(
      (sum, p) => sum + Number(p.high) - Number(p.low),
      0,
    );
    if (produced !== records) throw new Error(`produced ${produced} records, expected ${records}`);
    log(
      `runtime: ${records} records on ${setup.topic} (${partitions} partitions) in ${produceSeconds.toFixed(1)} s`,
    );

    // (a) and (b), for each client; clients alternate in order from one repeat to the next.
    const runs = {} as Record<Library, Record<PipelineKind, PairRuns>>;
    for (const library of libraries)
      runs[library] = Object.fromEntries(
        pipelineKinds.map((kind): [PipelineKind, PairRuns] => [kind, { bare: [], pipeline: [] }]),
      ) as Record<PipelineKind, PairRuns>;
    for (let repeat = 0; repeat < repeats; repeat++) {
      const order = repeat % 2 === 0 ? libraries : [...libraries].reverse();
      for (const library of order) {
        const id = `${library}_${repeat}`;
        const group = (what: string) => `${runId}.${what}.${id}`.replace(/_/g, '-').toLowerCase();
        const show = (what: string, t: Timing) =>
          log(
            `runtime: ${library} ${what}: ${Math.round(t.recordsPerSecond)} records/s (join ${t.joinSeconds.toFixed(2)} s)`,
          );
        const bareContext: BareContext = { setup, client: clients[library], delivery, pool };
        const copyTable = `${runId}.copy_${id}`;
        const sinkTable = `${runId}.sink_${id}`;
        for (const kind of pipelineKinds) {
          const table = kind === 'postgres' ? sinkTable : undefined;
          const baseline = await runBare(
            kind,
            bareContext,
            group(`${kind}-bare`),
            kind === 'postgres' ? copyTable : undefined,
          );
          show(`${kind} bare`, baseline);
          const piped = await runPipeline(pipelineYaml(setup, kind, library, group(kind), table), records);
          if (piped.deadLetters) throw new Error(`${piped.deadLetters} dead letters in the ${kind} pipeline`);
          show(`${kind} pipeline`, piped);
          runs[library][kind].bare.push(baseline);
          runs[library][kind].pipeline.push(piped);
        }
        await checkTables(pool, copyTable, sinkTable, setup);
      }
    }

    // The sink's write method alone.
    log(`runtime: PostgreSQL sink write methods, ${sinkRows} rows, batches of 500 and 5000`);
    const methodResults = await measureSinkWriteMethods(runId, sinkRows, repeats, delivery, log);

    // Where the time goes.
    const profiles: Record<string, unknown> = {};
    if (options.profile) {
      const dir = resolve(options.resultsDir, 'profiles', runId);
      await mkdir(dir, { recursive: true });
      const profiled: Record<string, Profiled> = {};
      for (const which of profileRuns(options.quick)) {
        const [library, kind, side] = which.split('/') as [Library, PipelineKind, Side];
        const name = `${runId}.profile-${kind}-${side}.${library}`.replace(/_/g, '-').toLowerCase();
        const table = kind === 'postgres' ? `${runId}.profile_${library}_${side}` : undefined;
        profiled[which] = await profiledRun({ setup, kind, library, side, name, table }, dir);
        log(`runtime: profiled ${which}: ${profiled[which].file}`);
        profiles[which] = profiled[which];
      }
      for (const library of libraries) {
        for (const kind of pipelineKinds) {
          const bare = profiled[`${library}/${kind}/bare`];
          const pipeline = profiled[`${library}/${kind}/pipeline`];
          if (bare && pipeline)
            profiles[`${library}/${kind}: pipeline vs bare`] = compareProfiles(bare, pipeline);
        }
      }
    }

    return {
      scenario: 'runtime',
      setup: {
        records,
        keys: setup.keys,
        versionsPerKey,
        meanValueBytes: Math.round(meanValueBytes),
        partitions,
        repeats,
        delivery: {
          maxBatchRecords: delivery.maxBatchRecords,
          maxBatchBytes: delivery.maxBatchBytes,
          maxInFlight: delivery.maxInFlight,
        },
        produce: { seconds: round3(produceSeconds), recordsPerSecond: Math.round(records / produceSeconds) },
      },
      note:
        'records/s from the first batch received to the last record counted (bare) or written by the sink ' +
        '(pipeline); the group join is apart. ratio = pipeline / bare, repeat by repeat. (a) noop: bare loop only ' +
        'counts; pipeline is kafka (values as bytes) → noop processor → noop sink. noopJson: the same with values ' +
        'decoded as JSON, against a bare loop that JSON.parses every value. (b) postgres: bare loop JSON-decodes and COPYs every ' +
        'record into an append-only table (no key, no version guard), one COPY per fetched batch; pipeline is ' +
        'kafka → postgres sink (versioned upsert, maxBatchRecords per transaction).',
      clients: Object.fromEntries(
        libraries.map((library) => [
          library,
          {
            ...Object.fromEntries(
              pipelineKinds.map((kind) => [kind, pairResult(runs[library][kind], aims[kind])]),
            ),
          },
        ]),
      ),
      sinkWriteMethods: {
        rows: sinkRows,
        keys: Math.ceil(sinkRows / versionsPerKey),
        note:
          'rows/s writing the same records (5 versions per key, interleaved) into a new table in batches, one ' +
          'batch at a time: insertOnConflict is the real PostgresSink with method: insert (multi-row INSERT … ON ' +
          'CONFLICT … WHERE version < excluded.version); copyStaging the real PostgresSink with method: copy (COPY ' +
          'into a temp table, INSERT … SELECT … ON CONFLICT with the same guard, one transaction); copyAppend is a plain COPY into a table without a key ' +
          '(the ceiling, no upsert).',
        batchSizes: Object.fromEntries(
          Object.entries(methodResults).map(([batchSize, perMethod]) => [
            batchSize,
            {
              rowsPerSecond: Object.fromEntries(sinkMethods.map((m) => [m, spread(perMethod[m])])),
              ratios: {
                copyStagingToInsert: ratioSpread(perMethod.copyStaging, perMethod.insertOnConflict),
                insertToCopyAppend: ratioSpread(perMethod.insertOnConflict, perMethod.copyAppend),
                copyStagingToCopyAppend: ratioSpread(perMethod.copyStaging, perMethod.copyAppend),
              },
            },
          ]),
        ),
      },
      profiles,
      seconds: round3((performance.now() - started) / 1000),
    };
  } finally {
    await admin.deleteTopics([setup.topic, `${runId}.dead-letter`]).catch(() => undefined);
    await admin.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${runId} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

/** Both paths wrote what they should: every record appended; every key once, at its last version. */
async function checkTables(
  pool: pg.Pool,
  copyTable: string,
  sinkTable: string,
  setup: RunSetup,
): Promise<void> {
  const copied = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${copyTable}`);
  const upserted = await pool.query<{ n: string; low: string; high: string }>(
    `SELECT count(*) AS n, min(version) AS low, max(version) AS high FROM ${sinkTable}`,
  );
  const last = Math.ceil(setup.records / setup.keys);
  const u = upserted.rows[0]!;
  if (Number(copied.rows[0]!.n) < setup.records)
    throw new Error(`${copyTable} holds ${copied.rows[0]!.n} rows, expected ${setup.records}`);
  if (Number(u.n) !== setup.keys || Number(u.high) !== last || Number(u.low) < last - 1)
    throw new Error(
      `${sinkTable} holds ${u.n} keys at versions ${u.low}..${u.high}, expected ${setup.keys} at ${last}`,
    );
}
