/**
 * The `sink-postgres` scenario: the PostgreSQL sink's versioned upsert (the real `postgres` sink,
 * document mode, its default `method: copy`) writing realistic case change events in batches of
 * the pipelines' default size, next to two bare writers of the same batches in the same run:
 *
 *  - `stagingUpsert` (the fair baseline, the floored ratio): what the sink does, by hand with `pg`
 *    on one connection: newest version of each key in the batch, COPY into a temporary table, then
 *    `INSERT … SELECT … ON CONFLICT … WHERE version < excluded.version`, one transaction a batch;
 *  - `copy` (the ceiling): a plain COPY of every row into a table without a key.
 *
 * Contenders take turns within each repeat (order rotating), each into a new table. Figures are
 * rows/s over all the batches and the latency of one batch write (p50/p95/p99 over every batch);
 * ratios are sink / baseline, repeat by repeat. After each repeat the sink's table and the
 * staging baseline's must hold the same keys at the same versions.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { readEndpoints } from '../connectors/endpoints.js';
import { postgresSink } from '../connectors/postgres/postgres-sink.js';
import type { SinkRecord } from '../runtime/contract/index.js';
import { ResourcePool } from '../runtime/engine/resources.js';
import { silentLogger } from '../runtime/telemetry/logger.js';
import type { Case } from '../schemas/generated/index.js';
import { householdMemberCase } from './documents.js';
import type { Figure, Ratio, ScenarioResult } from './scenario-result.js';
import { figure, percentile, ratioOf, round3 } from './spread.js';

const contenders = ['sink', 'stagingUpsert', 'copy'] as const;
type Contender = (typeof contenders)[number];

/** One batch write; resolves when it is committed. */
type Writer = (batch: SinkRecord[]) => Promise<void>;

/** The pipelines' default `delivery.maxBatchRecords`. */
const batchSize = 500;
const versionsPerKey = 4;

function sizes(quick: boolean) {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  return quick
    ? { rows: env('BENCH_SINK_ROWS', 10_000), repeats: env('BENCH_REPEATS', 3) }
    : { rows: env('BENCH_SINK_ROWS', 50_000), repeats: env('BENCH_REPEATS', 5) };
}

/**
 * `rows` case change events: `rows / versionsPerKey` cases, each in versions 1…4 in order,
 * interleaved across cases as a change feed would carry them; every 10th record replays the
 * previous version of its case (a redelivery), which the version guard must reject.
 */
export function caseChanges(rows: number): SinkRecord[] {
  const keys = Math.ceil(rows / versionsPerKey);
  const bases = Array.from({ length: keys }, (_, i) => householdMemberCase(i + 1));
  const timestamp = Date.now();
  return Array.from({ length: rows }, (_, i) => {
    const base = bases[i % keys]!;
    const step = Math.floor(i / keys) + 1;
    const version = i % 10 === 9 && step > 1 ? step - 1 : step;
    const value: Case = {
      ...base,
      version,
      modified_on: base.modified_on + version * 86_400_000,
      properties: {
        ...base.properties,
        visit_count: String(version),
        last_visit_date: `2024-0${version}-15`,
      },
    };
    return {
      key: base.doc_id,
      value,
      headers: {},
      timestamp,
      origin: {
        key: base.doc_id,
        value,
        headers: {},
        timestamp,
        position: { lane: 'bench:0', offset: String(i) },
        raw: { key: null, value: null, headers: {} },
      },
    };
  });
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : value;
}

const copyLine = (record: SinkRecord) =>
  `${copyText(record.key!)}\t${(record.value as Case).version}\t${copyText(JSON.stringify(record.value))}\n`;

async function copyInto(client: pg.PoolClient, sql: string, text: string): Promise<void> {
  await streamPipeline(Readable.from([text]), client.query(copyFrom(sql)));
}

const documentTable = (table: string, primaryKey: boolean) =>
  `CREATE TABLE ${table} (doc_id text ${primaryKey ? 'PRIMARY KEY' : 'NOT NULL'}, version bigint NOT NULL, ` +
  `doc jsonb, updated_at timestamptz NOT NULL DEFAULT now())`;

/** A writer of `contender` into the new table `table`, and how to release what it holds. */
async function openWriter(
  contender: Contender,
  table: string,
  pool: pg.Pool,
  url: string,
): Promise<{ write: Writer; close: () => Promise<void> }> {
  if (contender === 'sink') {
    const resources = new ResourcePool();
    const config = postgresSink.config.parse({
      url,
      table,
      key: ['doc_id'],
      versionField: 'version',
      createTable: true,
      poolSize: 2,
    });
    const sink = await postgresSink.create(config, {
      pipeline: 'bench-sink-postgres',
      logger: silentLogger,
      signal: new AbortController().signal,
      endpoints: readEndpoints(),
      resource: () => {
        throw new Error('no declared resources in this benchmark');
      },
      resources,
      delivery: { maxBatchRecords: batchSize, maxBatchBytes: 16 * 2 ** 20, maxWaitMs: 100, maxInFlight: 4 },
    });
    await sink.start?.();
    return {
      write: async (batch) => {
        const result = await sink.write(batch);
        if (result.failed.length) throw new Error(`the sink failed ${result.failed.length} records`);
      },
      close: async () => {
        await sink.close?.();
        await resources.close();
      },
    };
  }
  const client = await pool.connect();
  if (contender === 'copy') {
    await client.query(documentTable(table, false));
    const sql = `COPY ${table} (doc_id, version, doc) FROM STDIN`;
    return {
      write: (batch) => copyInto(client, sql, batch.map(copyLine).join('')),
      close: () => Promise.resolve(client.release()),
    };
  }
  await client.query(documentTable(table, true));
  const stage = `bench_stage_${randomBytes(4).toString('hex')}`;
  await client.query(
    `CREATE TEMP TABLE ${stage} (doc_id text, version bigint, doc jsonb) ON COMMIT DELETE ROWS`,
  );
  const copy = `COPY ${stage} (doc_id, version, doc) FROM STDIN`;
  const upsert =
    `INSERT INTO ${table} (doc_id, version, doc, updated_at) SELECT doc_id, version, doc, now() FROM ${stage} ` +
    `ON CONFLICT (doc_id) DO UPDATE SET version = excluded.version, doc = excluded.doc, updated_at = excluded.updated_at ` +
    `WHERE ${table}.version < excluded.version`;
  return {
    write: async (batch) => {
      // One statement cannot touch a row twice: the newest version of each key, as the sink keeps.
      const newest = new Map<string, SinkRecord>();
      for (const record of batch) {
        const seen = newest.get(record.key!);
        if (!seen || (seen.value as Case).version <= (record.value as Case).version)
          newest.set(record.key!, record);
      }
      await client.query('BEGIN');
      try {
        await copyInto(client, copy, [...newest.values()].map(copyLine).join(''));
        await client.query(upsert);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    close: async () => {
      await client.query(`DROP TABLE IF EXISTS ${stage}`).catch(() => undefined);
      client.release();
    },
  };
}

/** Writes every batch, one at a time; rows/s and each batch's latency (ms). */
async function timeWriter(write: Writer, records: SinkRecord[]) {
  const latenciesMs: number[] = [];
  const started = performance.now();
  for (let from = 0; from < records.length; from += batchSize) {
    const batchStarted = performance.now();
    await write(records.slice(from, from + batchSize));
    latenciesMs.push(performance.now() - batchStarted);
  }
  return { rowsPerSecond: records.length / ((performance.now() - started) / 1000), latenciesMs };
}

/** The two upsert tables hold the same keys at the same versions (the guard kept the newest). */
async function checkSameRows(pool: pg.Pool, sinkTable: string, stagingTable: string, keys: number) {
  const summary = async (table: string) =>
    (await pool.query<{ n: string; v: string }>(`SELECT count(*) AS n, sum(version) AS v FROM ${table}`))
      .rows[0]!;
  const [sink, staging] = await Promise.all([summary(sinkTable), summary(stagingTable)]);
  if (Number(sink.n) !== keys || sink.n !== staging.n || sink.v !== staging.v)
    throw new Error(
      `sink table ${sinkTable} (${sink.n} keys, version sum ${sink.v}) differs from the baseline's ` +
        `${stagingTable} (${staging.n}, ${staging.v}); expected ${keys} keys`,
    );
}

export async function sinkPostgresScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const { log } = options;
  const started = performance.now();
  const { rows, repeats } = sizes(options.quick);
  const url = readEndpoints().DATABASE_URL;
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const schema = `bench_sink_${randomBytes(3).toString('hex')}`;
  const records = caseChanges(rows);
  const keys = Math.ceil(rows / versionsPerKey);
  const meanBytes = records.reduce((sum, r) => sum + JSON.stringify(r.value).length, 0) / records.length;
  const rates: Record<Contender, number[]> = { sink: [], stagingUpsert: [], copy: [] };
  const latencies: Record<Contender, number[]> = { sink: [], stagingUpsert: [], copy: [] };
  try {
    await pool.query(`CREATE SCHEMA ${schema}`);
    log(
      `sink-postgres: ${rows} case changes (${keys} cases, ~${Math.round(meanBytes)} bytes), ${repeats} repeats`,
    );
    for (let repeat = 0; repeat < repeats; repeat++) {
      // Rotate the order, so no contender always runs first (on a cold cache) or last.
      const order = contenders.map((_, i) => contenders[(i + repeat) % contenders.length]!);
      for (const contender of order) {
        const table = `${schema}.${contender.toLowerCase()}_${repeat}`;
        const writer = await openWriter(contender, table, pool, url);
        try {
          const timing = await timeWriter(writer.write, records);
          rates[contender].push(timing.rowsPerSecond);
          latencies[contender].push(...timing.latenciesMs);
        } finally {
          await writer.close();
        }
      }
      await checkSameRows(pool, `${schema}.sink_${repeat}`, `${schema}.stagingupsert_${repeat}`, keys);
      log(
        `sink-postgres: repeat ${repeat + 1}/${repeats}: ` +
          contenders.map((c) => `${c} ${Math.round(rates[c].at(-1)!)} rows/s`).join(', '),
      );
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  }

  const figures: Record<string, Figure> = {};
  for (const contender of contenders) {
    figures[`${contender}.rowsPerSecond`] = figure(rates[contender], 'rows/s');
    figures[`${contender}.megabytesPerSecond`] = figure(
      rates[contender].map((rate) => (rate * meanBytes) / 1e6),
      'MB/s',
    );
    for (const p of [50, 95, 99])
      figures[`${contender}.batchP${p}Ms`] = { ...figure([percentile(latencies[contender], p)], 'ms') };
  }
  const ratios: Record<string, Ratio> = {
    sinkToStagingUpsert: ratioOf(
      rates.sink,
      rates.stagingUpsert,
      'sink.rowsPerSecond',
      'stagingUpsert.rowsPerSecond',
    ),
    sinkToCopy: ratioOf(rates.sink, rates.copy, 'sink.rowsPerSecond', 'copy.rowsPerSecond'),
  };
  return {
    scenario: 'sink-postgres',
    figures,
    ratios,
    headline: contenders.map((c) => `${c}.rowsPerSecond`),
    peakRssMiB: {},
    seconds: round3((performance.now() - started) / 1000),
    setup: { rows, keys, versionsPerKey, batchSize, repeats, meanDocumentBytes: Math.round(meanBytes) },
    details: {
      note:
        'sink = the postgres sink (document mode, method copy); stagingUpsert = COPY into a temp table + INSERT … SELECT … ' +
        'ON CONFLICT … WHERE version < excluded.version by hand, one transaction a batch (the fair baseline, floored); ' +
        'copy = plain COPY into a table without a key (the ceiling). batchP<n>Ms: latency of one batch write over every batch.',
    },
  };
}
