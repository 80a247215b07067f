/**
 * The `ingest` scenario: forms and cases already on their topics (Avro, Confluent wire format,
 * through the registry) → the UCR pipeline as shipped (`pipelines/examples/ucr-to-postgres.yaml`:
 * kafka source → `ucr` processor → `ucr-postgres` sink, data sources from `pipelines/ucr/*.json`),
 * run by the CLI (`node dist/cli/main.js run <file> --workers N`) with 1 and then 2 worker
 * processes in one consumer group, against a bare consumer of the same Kafka client
 * (ingest-bare-child.ts) that decodes, evaluates the same compiled data sources and COPYs the
 * same rows with no framework.
 *
 * Every side is timed the same way from outside: the consumer group's committed offsets are polled
 * (both commit only once the rows are durable), from the first commit seen to the last document
 * committed, so process start and group join are apart (`…WithStartup` includes them); with 2
 * workers the documents are produced to topics of their own once the group is stable. Each run
 * has its own consumer group and its own tables (table ids suffixed per run); peak RSS is sampled
 * from /proc for every process of each run. Topics, tables and catalog rows are removed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { readEndpoints } from '../connectors/endpoints.js';
import { createAvroSerde } from '../connectors/kafka/avro-serde.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import type { Producer } from '../connectors/kafka/kafka-client.js';
import { SchemaRegistryClient } from '../connectors/kafka/schema-registry-client.js';
import { ucrColumnType } from '../connectors/ucr/ucr-table-ddl.js';
import { ucrViewName } from '../commcare/ucr/ucr-table-names.js';
import { compileDataSource } from '../commcare/ucr/compile-data-source.js';
import type { CompiledDataSource } from '../commcare/ucr/contract.js';
import { caseSchema, formSchema } from '../schemas/generated/index.js';
import { demoChanges } from './demo-documents.js';
import type { IngestBareRequest } from './ingest-bare-child.js';
import { eventDocument, rowsOf } from './ingest-rows.js';
import { stopProcess, tail, timeCommits, waitForMembers } from './group-progress.js';
import { cpuPer100k, readStackCpu, watchProcessTree } from './process-usage.js';
import { preparePipeline } from './prepare-pipeline.js';
import type { Figure, Ratio, ScenarioResult } from './scenario-result.js';
import { ScenarioUnavailableError } from './scenario-unavailable-error.js';
import { figure, ratioOf, round3 } from './spread.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// BENCH_INGEST_PIPELINE and BENCH_UCR_FOLDER try another pipeline file or data source folder.
const pipelineFile =
  process.env.BENCH_INGEST_PIPELINE ?? join(root, 'pipelines', 'examples', 'ucr-to-postgres.yaml');
const dataSourceFolder = process.env.BENCH_UCR_FOLDER ?? join(root, 'pipelines', 'ucr');
const cli = join(root, 'dist', 'cli', 'main.js');
const partitions = 6;
/** The pipelines' default delivery, which the bare consumer uses too. */
const delivery = { maxBatchBytes: 1_048_576, maxInFlight: 4 };
const sides = ['bare', 'pipeline1', 'pipeline2'] as const;
// A type, not an interface: it goes where a Record<string, string> is expected.
type TopicPair = { forms: string; cases: string };
type Side = (typeof sides)[number];

function sizes(quick: boolean) {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return quick
    ? { documents: env('BENCH_INGEST_DOCUMENTS', 40_000), repeats: env('BENCH_REPEATS', 1) }
    : { documents: env('BENCH_INGEST_DOCUMENTS', 100_000), repeats: env('BENCH_REPEATS', 2) };
}

/** What the scenario needs that others write; throws ScenarioUnavailableError naming what is missing. */
async function checkAvailable(): Promise<string[]> {
  const missing: string[] = [];
  if (!existsSync(pipelineFile)) missing.push(pipelineFile.replace(root, ''));
  const files = existsSync(dataSourceFolder)
    ? (await readdir(dataSourceFolder)).filter((f) => f.endsWith('.json')).sort()
    : [];
  if (!files.length) missing.push(`UCR data sources in ${dataSourceFolder.replace(root, '')}/*.json`);
  if (missing.length)
    throw new ScenarioUnavailableError(`ingest cannot run yet: missing ${missing.join(' and ')}`);
  return files.map((f) => join(dataSourceFolder, f));
}

/** A copy of each data source with this run's domain and table id, in a folder of its own. */
async function runDataSources(
  files: string[],
  dir: string,
  suffix: string,
  domain: string,
): Promise<{ files: string[]; tableIds: string[] }> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  const tableIds: string[] = [];
  for (const file of files) {
    const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const tableId = `${String(json.table_id)}_${suffix}`;
    const copy = {
      ...json,
      domain,
      table_id: tableId,
      ...(typeof json._id === 'string' ? { _id: `${json._id}-${suffix}` } : {}),
    };
    const target = join(dir, `${tableId}.json`);
    await writeFile(target, JSON.stringify(copy, null, 2));
    out.push(target);
    tableIds.push(tableId);
  }
  return { files: out, tableIds };
}

/** Removes what a pipeline run left in the UCR schema: views, tables, version tables, catalog rows. */
async function dropUcrTables(pool: pg.Pool, domain: string, tableIds: string[]): Promise<void> {
  const catalog = await pool
    .query<{ physical_table: string }>(
      'SELECT physical_table FROM tributary_ucr.data_sources WHERE domain = $1 AND table_id = ANY($2)',
      [domain, tableIds],
    )
    .catch(() => ({ rows: [] as { physical_table: string }[] }));
  const statements = [
    ...tableIds.map((id) => `DROP VIEW IF EXISTS tributary_ucr."${ucrViewName(domain, id)}" CASCADE`),
    ...catalog.rows.flatMap((r) => [
      `DROP TABLE IF EXISTS tributary_ucr."${r.physical_table}" CASCADE`,
      `DROP TABLE IF EXISTS tributary_ucr_versions."${r.physical_table}" CASCADE`,
    ]),
  ];
  for (const sql of statements) await pool.query(sql).catch(() => undefined);
  await pool
    .query('DELETE FROM tributary_ucr.data_sources WHERE domain = $1 AND table_id = ANY($2)', [
      domain,
      tableIds,
    ])
    .catch(() => undefined);
  await pool
    .query('DELETE FROM tributary_ucr.config_problems WHERE table_id = ANY($1)', [tableIds])
    .catch(() => undefined);
}

/** The physical tables the catalog lists for these table ids (building or live). */
async function ucrTables(pool: pg.Pool, domain: string, tableIds: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ physical_table: string }>(
    "SELECT physical_table FROM tributary_ucr.data_sources WHERE domain = $1 AND table_id = ANY($2) AND state <> 'retired'",
    [domain, tableIds],
  );
  return rows.map((r) => `tributary_ucr."${r.physical_table}"`);
}

const countRows = async (pool: pg.Pool, tables: string[]) => {
  let rows = 0;
  for (const table of tables)
    rows += Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  return rows;
};

export async function ingestScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const { log } = options;
  const sourceFiles = await checkAvailable();
  const started = performance.now();
  const { documents, repeats } = sizes(options.quick);
  const endpoints = readEndpoints();
  const runId = `bench_ingest_${randomBytes(3).toString('hex')}`;
  const topics = { forms: `${runId}.forms`, cases: `${runId}.cases` };
  const work = await mkdtemp(join(tmpdir(), `${runId}-`));
  const kafka = createKafkaClient('platformatic', {
    brokers: [...endpoints.KAFKA_BROKERS],
    clientId: 'tributary-bench-ingest',
  });
  const admin = await createKafkaClient('platformatic', {
    brokers: [...endpoints.KAFKA_BROKERS],
    clientId: 'tributary-bench-ingest',
  }).admin();
  const pool = new pg.Pool({ connectionString: endpoints.DATABASE_URL, max: 4 });
  const createdTableIds: string[] = [];
  const createdTopics: string[] = [];
  let producer: Producer | undefined;
  // A domain of the run's own: the UCR sink backfills a new table from the primary store, which
  // holds `demo` documents of other runs (they were the extra rows of the 2-worker artifact).
  const domain = runId.replace(/_/g, '-');
  try {
    // The rows to expect, from the same compiled data sources the baseline uses.
    const compiled: CompiledDataSource[] = [];
    for (const file of sourceFiles)
      compiled.push(
        compileDataSource(
          { ...(JSON.parse(await readFile(file, 'utf8')) as object), domain },
          { path: file },
        ),
      );
    const demo = demoChanges(documents);
    const forms = demo.forms.map((form) => ({ ...form, domain }));
    const cases = demo.cases.map((c) => ({ ...c, domain }));
    const expectedLines = new Map<string, string[]>();
    let expectedRows = 0;
    for (const form of forms) expectedRows += rowsOf(eventDocument('form', form), compiled, expectedLines);
    for (const c of cases) expectedRows += rowsOf(eventDocument('case', c), compiled, expectedLines);
    log(
      `ingest: ${forms.length} forms + ${cases.length} cases → ${expectedRows} rows in ${compiled.length} data sources`,
    );

    // The messages, encoded once; the shared topics (bare, 1 worker) produced once.
    await pool.query(`CREATE SCHEMA ${runId}`);
    const registry = new SchemaRegistryClient({ url: endpoints.SCHEMA_REGISTRY_URL });
    const encode = async (subject: string, schema: object, docs: { doc_id: string }[]) => {
      const serde = createAvroSerde({ subject, schema }, registry);
      return Promise.all(docs.map(async (doc) => ({ key: doc.doc_id, value: await serde.encode(doc) })));
    };
    const messages = {
      forms: await encode('bench.ingest.forms-value', formSchema, forms),
      cases: await encode('bench.ingest.cases-value', caseSchema, cases),
    };
    producer = await kafka.producer();
    const send = producer;
    const createTopics = async (pair: TopicPair) => {
      createdTopics.push(...Object.values(pair));
      await admin.createTopics(
        Object.values(pair).map((topic) => ({
          topic,
          partitions,
          replicationFactor: 1,
          configs: { 'cleanup.policy': 'compact' },
        })),
      );
    };
    /** Produces every document to `pair`; the end offset of each partition. */
    const produce = async (pair: TopicPair) => {
      for (const kind of ['forms', 'cases'] as const)
        for (let from = 0; from < messages[kind].length; from += 2_000)
          await send.send(pair[kind], messages[kind].slice(from, from + 2_000));
      const ends = new Map<string, bigint>();
      for (const topic of Object.values(pair))
        for (const p of await admin.topicOffsets(topic)) ends.set(`${topic}:${p.partition}`, BigInt(p.high));
      return ends;
    };
    await createTopics(topics);
    const produceStarted = performance.now();
    const sharedEnds = await produce(topics);
    log(`ingest: produced in ${((performance.now() - produceStarted) / 1000).toFixed(1)} s`);

    const pipelineText = await readFile(pipelineFile, 'utf8');
    const timeoutMs = Math.max(120_000, documents * 5);
    const rates: Record<Side, number[]> = { bare: [], pipeline1: [], pipeline2: [] };
    const withStartup: Record<Side, number[]> = { bare: [], pipeline1: [], pipeline2: [] };
    const startup: Record<Side, number[]> = { bare: [], pipeline1: [], pipeline2: [] };
    const steadyDocuments: Record<Side, number[]> = { bare: [], pipeline1: [], pipeline2: [] };
    const rss: Record<string, number> = {};
    /** CPU seconds per 100k documents in the timed window, by role, repeat by repeat. */
    const cpu: Record<string, number[]> = {};
    const noteCpu = (role: string, seconds: number, steady: number) =>
      (cpu[role] ??= []).push(cpuPer100k(seconds, steady));
    const rowsWritten: Record<Side, number[]> = { bare: [], pipeline1: [], pipeline2: [] };
    const noteRss = (role: string, kib: number | undefined) => {
      if (kib !== undefined) rss[role] = Math.max(rss[role] ?? 0, Math.round(kib / 1024));
    };

    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const side of sides) {
        const suffix = `${runId.slice(-6)}${side === 'bare' ? 'b' : `w${side.slice(-1)}`}${repeat}`;
        const group = `${runId}-${side}-${repeat}`.replace(/_/g, '-');
        const ds = await runDataSources(sourceFiles, join(work, suffix), suffix, domain);
        createdTableIds.push(...ds.tableIds);
        if (side !== 'bare') createdTopics.push(`${group}.dead-letter`);
        // Two workers read topics of their own, produced once the group is stable with both (see below).
        const sideTopics: TopicPair =
          side === 'pipeline2'
            ? { forms: `${runId}.w2r${repeat}.forms`, cases: `${runId}.w2r${repeat}.cases` }
            : topics;
        if (side === 'pipeline2') await createTopics(sideTopics);
        let proc: ChildProcess;
        let output = '';
        let tables: string[];
        const startedMs = performance.now();
        if (side === 'bare') {
          const runCompiled = ds.files.map((file, i) => ({
            file,
            tableId: ds.tableIds[i]!,
            dataSource: compiled[i]!,
          }));
          for (const { tableId, dataSource } of runCompiled) {
            const columns = dataSource.columns.map((c) =>
              c.id === 'inserted_at'
                ? `"inserted_at" ${ucrColumnType(c.datatype)} NOT NULL DEFAULT now()`
                : `"${c.id}" ${ucrColumnType(c.datatype)}`,
            );
            await pool.query(
              `CREATE TABLE ${runId}."${tableId}" (${columns.join(', ')}, PRIMARY KEY (${dataSource.primaryKey.map((k) => `"${k}"`).join(', ')}))`,
            );
          }
          tables = ds.tableIds.map((id) => `${runId}."${id}"`);
          const request: IngestBareRequest = {
            group,
            topics,
            dataSourceFiles: ds.files,
            schema: runId,
            documents,
            ...delivery,
          };
          proc = spawn(
            process.execPath,
            [fileURLToPath(new URL('./ingest-bare-child.js', import.meta.url)), JSON.stringify(request)],
            {
              stdio: ['ignore', 'pipe', 'pipe'],
              cwd: root,
            },
          );
        } else {
          const workers = side === 'pipeline1' ? 1 : 2;
          const file = join(work, `${suffix}.yaml`);
          await writeFile(
            file,
            preparePipeline(pipelineText, {
              name: group,
              topics: sideTopics,
              ucrConfigFolder: join(work, suffix),
            }),
          );
          tables = [];
          proc = spawn(process.execPath, [cli, 'run', file, '--workers', String(workers), '--port', '0'], {
            stdio: ['ignore', 'pipe', 'pipe'],
            cwd: root,
            env: {
              ...process.env,
              FORMS_TOPIC: sideTopics.forms,
              CASES_TOPIC: sideTopics.cases,
              LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
            },
          });
        }
        proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output = tail(output + chunk, 60)));
        proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output = tail(output + chunk, 60)));
        const watch = watchProcessTree(proc.pid!);
        const stackBefore = await readStackCpu();
        let timed;
        try {
          let ends = sharedEnds;
          if (side === 'pipeline2') {
            await waitForMembers(admin, group, 2, proc, timeoutMs);
            ends = await produce(sideTopics);
          }
          timed = await timeCommits(
            admin,
            group,
            Object.values(sideTopics),
            ends,
            documents,
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
        const stackAfter = await readStackCpu();
        for (const server of ['postgres', 'kafka', 'machine'] as const)
          noteCpu(`${side}.${server}`, stackAfter[server] - stackBefore[server], documents);
        const peaks = new Map([...usage].map(([pid, u]) => [pid, u.peakRssKiB] as const));
        await stopProcess(proc, peaks.keys());
        rates[side].push(timed.documentsPerSecond);
        withStartup[side].push(timed.documentsPerSecondWithStartup);
        startup[side].push(timed.startupSeconds);
        steadyDocuments[side].push(timed.steadyDocuments);
        // A pipeline's tables may still be building (no view yet): its physical tables hold the rows either way.
        if (side !== 'bare') tables = await ucrTables(pool, domain, ds.tableIds);
        rowsWritten[side].push(await countRows(pool, tables).catch(() => -1));
        // The root process, then any it forked (the workers of --workers 2).
        const [rootPeak, ...others] = [
          peaks.get(proc.pid!),
          ...[...peaks].filter(([pid]) => pid !== proc.pid).map(([, kib]) => kib),
        ];
        if (side === 'pipeline2') {
          noteRss('pipeline2.supervisor', rootPeak);
          for (const kib of others) noteRss('pipeline2.worker', kib);
        } else noteRss(side === 'bare' ? 'bare' : 'pipeline1.worker', rootPeak);
        // CPU of the timed window: the whole tree per side; with 2 workers, also the supervisor apart.
        const windowCpu = [...timed.windowCpuSeconds.values()].reduce((sum, s) => sum + s, 0);
        noteCpu(side, windowCpu, timed.steadyDocuments);
        if (side === 'pipeline2')
          noteCpu('pipeline2.supervisor', timed.windowCpuSeconds.get(proc.pid!) ?? 0, timed.steadyDocuments);
        log(
          `ingest: ${side} repeat ${repeat + 1}/${repeats}: ${Math.round(timed.documentsPerSecond)} documents/s ` +
            `(startup ${timed.startupSeconds.toFixed(1)} s), ${cpu[side]!.at(-1)!.toFixed(2)} CPU s/100k, ` +
            `${rowsWritten[side].at(-1)} rows`,
        );
        if (side !== 'bare') await dropUcrTables(pool, domain, ds.tableIds);
      }
    }

    const rowsPerDocument = expectedRows / documents;
    const figures: Record<string, Figure> = {};
    for (const side of sides) {
      figures[`${side}.documentsPerSecond`] = figure(rates[side], 'documents/s');
      figures[`${side}.rowsPerSecond`] = figure(
        rates[side].map((r) => r * rowsPerDocument),
        'rows/s',
      );
      figures[`${side}.documentsPerSecondWithStartup`] = figure(withStartup[side], 'documents/s');
      figures[`${side}.startupSeconds`] = figure(startup[side], 's');
      figures[`${side}.cpuSecondsPer100k`] = figure(cpu[side]!, 'CPU s/100k');
      // Where the rest of the machine went meanwhile (shared servers: other work included).
      for (const server of ['postgres', 'kafka', 'machine'] as const)
        figures[`${side}.${server}CpuSecondsPer100k`] = figure(cpu[`${side}.${server}`]!, 'CPU s/100k');
    }
    const ratios: Record<string, Ratio> = {
      oneWorkerToBare: ratioOf(
        rates.pipeline1,
        rates.bare,
        'pipeline1.documentsPerSecond',
        'bare.documentsPerSecond',
      ),
      twoWorkersToBare: ratioOf(
        rates.pipeline2,
        rates.bare,
        'pipeline2.documentsPerSecond',
        'bare.documentsPerSecond',
      ),
      twoWorkersToOne: ratioOf(
        rates.pipeline2,
        rates.pipeline1,
        'pipeline2.documentsPerSecond',
        'pipeline1.documentsPerSecond',
      ),
      // CPU per document against the bare consumer's: lower is better (ceilings in floors.json).
      oneWorkerCpuToBare: ratioOf(
        cpu.pipeline1!,
        cpu.bare!,
        'pipeline1.cpuSecondsPer100k',
        'bare.cpuSecondsPer100k',
      ),
      twoWorkersCpuToBare: ratioOf(
        cpu.pipeline2!,
        cpu.bare!,
        'pipeline2.cpuSecondsPer100k',
        'bare.cpuSecondsPer100k',
      ),
    };
    const medianOf = (values: number[]) => figure(values, '').median;
    const mismatched = sides.filter((side) => rowsWritten[side].some((n) => n !== expectedRows));
    return {
      scenario: 'ingest',
      figures,
      ratios,
      headline: sides.map((side) => `${side}.documentsPerSecond`),
      peakRssMiB: rss,
      cpuSecondsPer100k: {
        bare: medianOf(cpu.bare!),
        'pipeline1.worker': medianOf(cpu.pipeline1!),
        'pipeline2.total': medianOf(cpu.pipeline2!),
        'pipeline2.supervisor': medianOf(cpu['pipeline2.supervisor']!),
        'pipeline1.postgres': medianOf(cpu['pipeline1.postgres']!),
        'pipeline1.kafka': medianOf(cpu['pipeline1.kafka']!),
      },
      seconds: round3((performance.now() - started) / 1000),
      setup: {
        documents,
        forms: forms.length,
        cases: cases.length,
        expectedRows,
        dataSources: compiled.map((d) => d.tableId),
        partitions,
        repeats,
        workers: [1, 2],
      },
      details: {
        rowsWritten,
        steadyDocuments,
        ...(mismatched.length
          ? { warning: `row counts differ from the ${expectedRows} expected for: ${mismatched.join(', ')}` }
          : {}),
        note:
          'documents/s from the first committed offset seen to the last document committed (group offsets polled every 50 ms); ' +
          'bare = @platformatic/kafka consumer → Avro decode → compiled data sources → COPY per table per batch → commit; ' +
          'pipelineN = the CLI running pipelines/examples/ucr-to-postgres.yaml with --workers N. Ratios pair repeat by repeat.',
      },
    };
  } finally {
    await producer?.close().catch(() => undefined);
    await admin.deleteTopics(createdTopics).catch(() => undefined);
    await dropUcrTables(pool, domain, createdTableIds).catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS ${runId} CASCADE`).catch(() => undefined);
    await pool.end();
    await admin.close();
    await rm(work, { recursive: true, force: true });
  }
}
