/**
 * The `kafka-postgres` scenario: what a worker costs per record and in memory on the commonest
 * pipeline, kafka → postgres sink (document mode, versioned upsert), next to a bare loop doing the
 * same work (kafka-postgres-bare-child.ts), each in a process of its own:
 *
 *  - a backlog of case documents of about 2 KB (household members, 40 properties), 4 versions of
 *    each id interleaved as a change feed carries them, on 6 partitions, as JSON and as Avro;
 *  - `pipeline`: `tributary run` on a pipeline file kafka (json | avro) → postgres, one worker;
 *  - `bare`: @platformatic/kafka consumer → decode → newest version per key → COPY into a staging
 *    table → `INSERT … SELECT … ON CONFLICT … WHERE version < excluded.version`, one transaction a
 *    batch → commit.
 *
 * Both are timed from outside by their committed offsets (bench/group-progress.ts); their CPU
 * seconds per 100,000 records (user + system, the window from the first commit to the last) and
 * peak RSS come from /proc. The figures that matter are the CPU ratio (pipeline / bare: the
 * framework's cost per record) and the pipeline's peak RSS; records/s on 2 shared cores mostly
 * says how busy PostgreSQL was. In a full run the JSON pipeline also drains a backlog a fifth the
 * size, so its peak RSS can be read against the backlog. Every run ends with the table checked:
 * every id once, at its last version.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { readEndpoints } from '../connectors/endpoints.js';
import { createAvroSerde } from '../connectors/kafka/avro-serde.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import type { Admin, Producer } from '../connectors/kafka/kafka-client.js';
import { SchemaRegistryClient } from '../connectors/kafka/schema-registry-client.js';
import { caseSchema, type Case } from '../schemas/generated/index.js';
import { householdMemberCase } from './documents.js';
import { stopProcess, tail, timeCommits, type Timed } from './group-progress.js';
import type { KafkaPostgresBareRequest } from './kafka-postgres-bare-child.js';
import { cpuPer100k, watchProcessTree } from './process-usage.js';
import type { Figure, Ratio, ScenarioResult } from './scenario-result.js';
import { figure, ratioOf, round3 } from './spread.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'main.js');
const partitions = 6;
const versionsPerKey = 4;
/** The pipelines' default delivery (runtime/config), which the bare loop uses too. */
const delivery = { maxBatchBytes: 4 * 1024 * 1024, maxInFlight: 4 };
const formats = ['json', 'avro'] as const;
/**
 * Node options of both measured processes: BENCH_KP_NODE_ARGS (e.g. a heap limit to try), and with
 * BENCH_PROFILE_DIR, `--cpu-prof` writing each process's profile there.
 */
const nodeArgs = (label: string) => [
  ...(process.env.BENCH_KP_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
  ...(process.env.BENCH_PROFILE_DIR
    ? [
        '--cpu-prof',
        '--cpu-prof-dir',
        process.env.BENCH_PROFILE_DIR,
        '--cpu-prof-name',
        `${label}.cpuprofile`,
      ]
    : []),
];
/** Worker processes of the pipeline side (`tributary run --workers N`): BENCH_KP_WORKERS, default 1. */
const workers = Number(process.env.BENCH_KP_WORKERS ?? 1);
/** BENCH_KP_OUTPUT_DIR: each measured process's whole output (e.g. with --trace-gc) to `<label>.log` there. */
const outputDir = process.env.BENCH_KP_OUTPUT_DIR;
type Format = (typeof formats)[number];
type Side = 'bare' | 'pipeline';

function sizes(quick: boolean) {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return quick
    ? { documents: env('BENCH_KP_DOCUMENTS', 50_000), repeats: env('BENCH_REPEATS', 1), smallBacklog: 0 }
    : {
        documents: env('BENCH_KP_DOCUMENTS', 250_000),
        repeats: env('BENCH_REPEATS', 2),
        smallBacklog: 50_000,
      };
}

/** Record `i` of a backlog of `documents`: id `i mod keys` at version `⌊i / keys⌋ + 1`. */
function caseVersion(i: number, keys: number, runId: string): Case {
  const base = householdMemberCase((i % keys) + 1);
  const version = Math.floor(i / keys) + 1;
  return {
    ...base,
    doc_id: `${runId}-${i % keys}`,
    version,
    properties: { ...base.properties, visit_count: String(version) },
  };
}

/** Produces records `0…count-1` to `topic`, encoded by `encode`; the end offset of each partition. */
async function produceBacklog(
  producer: Producer,
  admin: Admin,
  topic: string,
  count: number,
  keys: number,
  runId: string,
  encode: (doc: Case) => Promise<Buffer | string>,
): Promise<Map<string, bigint>> {
  for (let from = 0; from < count; from += 2_000) {
    const chunk: { key: string; value: Buffer | string }[] = [];
    for (let i = from; i < Math.min(count, from + 2_000); i++) {
      const doc = caseVersion(i, keys, runId);
      chunk.push({ key: doc.doc_id, value: await encode(doc) });
    }
    await producer.send(topic, chunk);
  }
  const ends = new Map<string, bigint>();
  for (const p of await admin.topicOffsets(topic)) ends.set(`${topic}:${p.partition}`, BigInt(p.high));
  return ends;
}

function pipelineYaml(name: string, topic: string, format: Format, table: string): string {
  return `name: ${name}
source:
  type: kafka
  topics: ['${topic}']
  value: { format: ${format}${format === 'avro' ? ', schemaOf: cases' : ''} }
processors: []
sinks:
  docs:
    type: postgres
    table: ${table}
    key: [doc_id]
    versionField: version
    createTable: true
deadLetter:
  topic: ${name}.dead-letter
  table: false
`;
}

/** Every id once, at its last version: the upsert kept the newest of each. */
async function checkTable(pool: pg.Pool, table: string, keys: number, lastVersion: number): Promise<void> {
  const { rows } = await pool.query<{ n: string; low: string; high: string }>(
    `SELECT count(*) AS n, min(version) AS low, max(version) AS high FROM ${table}`,
  );
  const r = rows[0]!;
  if (Number(r.n) !== keys || Number(r.low) !== lastVersion || Number(r.high) !== lastVersion)
    throw new Error(
      `${table} holds ${r.n} ids at versions ${r.low}..${r.high}, expected ${keys} at ${lastVersion}`,
    );
}

interface Run {
  timed: Timed;
  cpuSecondsPer100k: number;
  peakRssMiB: number;
}

export async function kafkaPostgresScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const { log } = options;
  const started = performance.now();
  const { documents, repeats, smallBacklog } = sizes(options.quick);
  const keys = Math.ceil(documents / versionsPerKey);
  const endpoints = readEndpoints();
  const runId = `bench_kp_${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), `${runId}-`));
  const kafka = createKafkaClient('platformatic', {
    brokers: [...endpoints.KAFKA_BROKERS],
    clientId: 'tributary-bench-kp',
  });
  const admin = await kafka.admin();
  const pool = new pg.Pool({ connectionString: endpoints.DATABASE_URL, max: 2 });
  const topics: Record<string, string> = {
    json: `${runId}.json`,
    avro: `${runId}.avro`,
    small: `${runId}.json-small`,
  };
  const createdTopics: string[] = [];
  let producer: Producer | undefined;
  try {
    await pool.query(`CREATE SCHEMA ${runId}`);
    const made = Object.entries(topics)
      .filter(([name]) => name !== 'small' || smallBacklog > 0)
      .map(([, topic]) => topic);
    createdTopics.push(...made);
    await admin.createTopics(
      made.map((topic) => ({
        topic,
        partitions,
        replicationFactor: 1,
        configs: { 'cleanup.policy': 'delete' },
      })),
    );
    producer = await kafka.producer();
    const registry = new SchemaRegistryClient({ url: endpoints.SCHEMA_REGISTRY_URL });
    const avro = createAvroSerde({ subject: `${topics.avro}-value`, schema: caseSchema }, registry);
    const produceStarted = performance.now();
    const ends: Record<string, Map<string, bigint>> = {
      json: await produceBacklog(producer, admin, topics.json!, documents, keys, runId, (doc) =>
        Promise.resolve(JSON.stringify(doc)),
      ),
      avro: await produceBacklog(producer, admin, topics.avro!, documents, keys, runId, (doc) =>
        avro.encode(doc),
      ),
    };
    const smallKeys = Math.ceil(smallBacklog / versionsPerKey);
    if (smallBacklog)
      ends.small = await produceBacklog(
        producer,
        admin,
        topics.small!,
        smallBacklog,
        smallKeys,
        runId,
        (doc) => Promise.resolve(JSON.stringify(doc)),
      );
    const sample = JSON.stringify(caseVersion(0, keys, runId)).length;
    log(
      `kafka-postgres: ${documents} documents (${keys} ids × ${versionsPerKey} versions, ~${sample} bytes as JSON) ` +
        `as JSON and Avro on ${partitions} partitions, produced in ${((performance.now() - produceStarted) / 1000).toFixed(1)} s`,
    );

    const timeoutMs = Math.max(180_000, documents * 4);
    const runs: Record<string, Run[]> = {};
    const runOnce = async (
      side: Side,
      format: Format,
      label: string,
      backlog: { topic: string; ends: Map<string, bigint>; count: number; keys: number },
    ): Promise<Run> => {
      const name = `${runId}-${label}`.replace(/_/g, '-').replace(/\./g, '-');
      const table = `${runId}.${label.replace(/[.-]/g, '_')}`;
      let proc: ChildProcess;
      if (side === 'bare') {
        await pool.query(
          `CREATE TABLE ${table} (doc_id text PRIMARY KEY, version bigint NOT NULL, doc jsonb, updated_at timestamptz NOT NULL DEFAULT now())`,
        );
        const request: KafkaPostgresBareRequest = {
          group: name,
          topic: backlog.topic,
          format,
          subject: `${topics.avro}-value`,
          table,
          documents: backlog.count,
          ...delivery,
        };
        proc = spawn(
          process.execPath,
          [
            ...nodeArgs(label),
            fileURLToPath(new URL('./kafka-postgres-bare-child.js', import.meta.url)),
            JSON.stringify(request),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'], cwd: root },
        );
      } else {
        createdTopics.push(`${name}.dead-letter`);
        const file = join(work, `${name}.yaml`);
        await writeFile(file, pipelineYaml(name, backlog.topic, format, table));
        const workerArgs = workers > 1 ? ['--workers', String(workers)] : [];
        proc = spawn(process.execPath, [...nodeArgs(label), cli, 'run', file, '--port', '0', ...workerArgs], {
          stdio: ['ignore', 'pipe', 'pipe'],
          cwd: root,
          env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
        });
      }
      let output = '';
      if (outputDir) {
        const whole = createWriteStream(join(outputDir, `${label}.log`));
        proc.stdout!.pipe(whole);
        proc.stderr!.pipe(whole);
      }
      proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output = tail(output + chunk, 60)));
      proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output = tail(output + chunk, 60)));
      const watch = watchProcessTree(proc.pid!);
      const startedMs = performance.now();
      let timed: Timed;
      try {
        timed = await timeCommits(
          admin,
          name,
          [backlog.topic],
          backlog.ends,
          backlog.count,
          startedMs,
          proc,
          watch,
          timeoutMs,
        );
      } catch (error) {
        await stopProcess(proc, (await watch.stop()).keys());
        throw new Error(`${(error as Error).message}\n--- its last output:\n${output}`, { cause: error });
      }
      const usage = await watch.stop();
      await stopProcess(proc, usage.keys());
      await checkTable(pool, table, backlog.keys, Math.ceil(backlog.count / backlog.keys));
      const cpu = [...timed.windowCpuSeconds.values()].reduce((sum, s) => sum + s, 0);
      const run: Run = {
        timed,
        cpuSecondsPer100k: cpuPer100k(cpu, timed.steadyDocuments),
        peakRssMiB: Math.round(Math.max(0, ...[...usage.values()].map((u) => u.peakRssKiB)) / 1024),
      };
      log(
        `kafka-postgres: ${label}: ${Math.round(timed.documentsPerSecond)} documents/s, ` +
          `${run.cpuSecondsPer100k.toFixed(2)} CPU s/100k, peak RSS ${run.peakRssMiB} MiB`,
      );
      (runs[label] ??= []).push(run);
      return run;
    };

    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const format of repeat % 2 ? [...formats].reverse() : formats) {
        const backlog = { topic: topics[format]!, ends: ends[format]!, count: documents, keys };
        const order: Side[] = repeat % 2 ? ['pipeline', 'bare'] : ['bare', 'pipeline'];
        for (const side of order) await runOnce(side, format, `${format}.${side}.${repeat}`, backlog);
      }
      if (smallBacklog)
        await runOnce('pipeline', 'json', `json.pipeline-small.${repeat}`, {
          topic: topics.small!,
          ends: ends.small!,
          count: smallBacklog,
          keys: smallKeys,
        });
    }

    const series = (label: string, pick: (run: Run) => number) =>
      [...Array(repeats).keys()].map((repeat) => pick(runs[`${label}.${repeat}`]![0]!));
    const figures: Record<string, Figure> = {};
    const ratios: Record<string, Ratio> = {};
    const peakRssMiB: Record<string, number> = {};
    const cpuSecondsPer100k: Record<string, number> = {};
    const roles = [
      ...formats.flatMap((format) => [`${format}.bare`, `${format}.pipeline`]),
      ...(smallBacklog ? ['json.pipeline-small'] : []),
    ];
    for (const role of roles) {
      figures[`${role}.documentsPerSecond`] = figure(
        series(role, (r) => r.timed.documentsPerSecond),
        'documents/s',
      );
      figures[`${role}.cpuSecondsPer100k`] = figure(
        series(role, (r) => r.cpuSecondsPer100k),
        'CPU s/100k',
      );
      figures[`${role}.peakRssMiB`] = figure(
        series(role, (r) => r.peakRssMiB),
        'MiB',
      );
      peakRssMiB[role] = Math.max(...series(role, (r) => r.peakRssMiB));
      cpuSecondsPer100k[role] = figures[`${role}.cpuSecondsPer100k`]!.median;
    }
    for (const format of formats) {
      ratios[`${format}.pipelineToBare`] = ratioOf(
        series(`${format}.pipeline`, (r) => r.timed.documentsPerSecond),
        series(`${format}.bare`, (r) => r.timed.documentsPerSecond),
        `${format}.pipeline.documentsPerSecond`,
        `${format}.bare.documentsPerSecond`,
      );
      // CPU per record of the framework against the bare loop's: lower is better (aim ≤ 1.25).
      ratios[`${format}.cpuToBare`] = ratioOf(
        series(`${format}.pipeline`, (r) => r.cpuSecondsPer100k),
        series(`${format}.bare`, (r) => r.cpuSecondsPer100k),
        `${format}.pipeline.cpuSecondsPer100k`,
        `${format}.bare.cpuSecondsPer100k`,
      );
    }
    return {
      scenario: 'kafka-postgres',
      figures,
      ratios,
      headline: formats.flatMap((format) => [
        `${format}.pipeline.documentsPerSecond`,
        `${format}.bare.documentsPerSecond`,
      ]),
      peakRssMiB,
      cpuSecondsPer100k,
      seconds: round3((performance.now() - started) / 1000),
      setup: {
        documents,
        ids: keys,
        versionsPerKey,
        partitions,
        repeats,
        jsonBytes: sample,
        smallBacklog,
        workers,
        ...delivery,
      },
      details: {
        note:
          'pipeline = tributary run (kafka → postgres sink, document mode, versionField) in its own process; bare = ' +
          'platformatic consumer → decode → newest version per key → COPY into a temp staging table → upsert with the ' +
          'same version guard → commit, in its own process. documents/s and CPU from the first commit seen to the last ' +
          '(CPU: /proc utime+stime); peak RSS: VmHWM over the whole run. cpuToBare = pipeline / bare CPU per record.',
      },
    };
  } finally {
    await producer?.close().catch(() => undefined);
    await admin.deleteTopics(createdTopics).catch(() => undefined);
    await admin.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${runId} CASCADE`).catch(() => undefined);
    await pool.end();
    await rm(work, { recursive: true, force: true });
  }
}
