import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import type { IBaseProtocol, ITask } from 'pg-promise';
import { z } from 'zod';
import {
  BadConfigError,
  BadRecordError,
  defineSink,
  type ComponentContext,
  type Sink,
  type SinkRecord,
  type WriteResult,
} from '../../runtime/contract/index.js';
import { copyField, toJson } from './copy-field.js';
import { pgp, postgresConnectionFields, postgresPoolOf, type Database } from './postgres-pool.js';

const identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
    'expected a table name, optionally schema-qualified',
  );

const postgresSinkConfig = z
  .object({
    ...postgresConnectionFields,
    table: identifier.describe('Target table; a record routed with a `target` goes to that table instead.'),
    mode: z
      .enum(['document', 'columns'])
      .default('document')
      .describe('One jsonb document per key, or one column per value field.'),
    key: z
      .array(z.string().min(1))
      .min(1)
      .default(['id'])
      .describe('Key columns. In document mode, a single column taking the record key.'),
    versionColumn: z.string().default('version').describe('bigint column holding the document version.'),
    versionField: z
      .string()
      .optional()
      .describe(
        'Field of the value holding the document version (an integer, or a string of digits). A record without an ' +
          'integer there is a dead letter (reason `missing-version`): it never takes another kind of version. ' +
          'Set this or `versionFrom`.',
      ),
    versionFrom: z
      .enum(['routing', 'offset'])
      .optional()
      .describe(
        'Where versions come from when the value holds none: `routing`, the version a stage set on the record ' +
          '(`routing.version`; a record without one is a dead letter); `offset`, the source position of the record ' +
          '(its Kafka offset), for topics whose records carry no version: a replay of the topic never regresses ' +
          'the table. Set this or `versionField`, never both: one table holds one kind of version.',
      ),
    columns: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Columns mode: the value fields to write (all other fields are ignored). A json or jsonb column receives ' +
          "the field's JSON; an array goes into an array column as a PostgreSQL array.",
      ),
    method: z
      .enum(['copy', 'insert'])
      .default('copy')
      .describe(
        'How upserts reach the table. `copy`: the batch is streamed with COPY into a temporary staging table of the ' +
          'connection, then upserted with one `INSERT … SELECT … ON CONFLICT`; `insert`: one multi-row ' +
          '`INSERT … ON CONFLICT`. Same version guard and one transaction per batch either way; `copy` writes ' +
          'about 1.45 times as many rows per second at batches of 500 and 1.7 times at 5000 (bench/runtime.ts).',
      ),
    copyMinRows: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe(
        "With `method: copy`, a table's part of a batch with fewer upserts than this goes as one multi-row INSERT: " +
          "below about 100 rows COPY's extra round trips cost more than it saves.",
      ),
    createTable: z
      .boolean()
      .default(false)
      .describe(
        'Document mode: create the table (key text, version bigint, doc jsonb, updated_at) if missing.',
      ),
  })
  .refine((config) => (config.versionField === undefined) !== (config.versionFrom === undefined), {
    path: ['versionFrom'],
    message:
      'set exactly one of versionField (a field of the value) and versionFrom (routing or offset): one table holds one kind of version',
  });

export type PostgresSinkConfig = z.output<typeof postgresSinkConfig>;

export const postgresSink = defineSink({
  name: 'postgres',
  summary:
    'Upserts rows keyed by a declared key, guarded by a version column, and deletes by key, one transaction per batch.',
  description:
    'A write never lets an older version replace a newer one (`ON CONFLICT … WHERE version < excluded.version`), so replays, ' +
    'retries and rebalances cannot regress the table. In `document` mode each record becomes one row (key, version, jsonb ' +
    "document, and `updated_at` set to the transaction's time); in `columns` mode the record value's fields are the " +
    'columns. A record routed with `op: delete` or a null value deletes its key unless the row holds a newer version.',
  config: postgresSinkConfig,
  example: `type: postgres
table: reports.cases
mode: document
key: [case_id]
versionField: version
createTable: true`,
  create: async (config, ctx) => new PostgresSink(config, await postgresPoolOf(config, ctx), ctx),
});

/** The version a delete without one carries: it removes the key whatever version the row holds. */
const anyVersion = 2n ** 63n - 1n;

interface Row {
  index: number;
  key: unknown[];
  /** `anyVersion` for a delete that carries no version. */
  version: bigint;
  /** The values of the written columns (`PostgresSink.columns`), in order. */
  values: unknown[];
  deleted: boolean;
}

/** The statements for one target table, worked out once per table. */
interface TablePlan {
  name: InstanceType<typeof pgp.helpers.TableName>;
  /** Per written column: whether it is json or jsonb (its value goes as JSON text). */
  json: boolean[];
  /** `insert`: one row of the VALUES list, and the statement around the list. */
  rowTemplate: string;
  insertHead: string;
  onConflict: string;
  /** `copy`: the connection's staging table, how to create it, fill it and upsert from it. */
  stage: string;
  createStage: string;
  copy: string;
  upsertFromStage: string;
}

/** One table's part of a batch, encoded for the way it is written. */
interface TableWrite {
  plan: TablePlan;
  /** Whether the upserts go by COPY (as COPY text lines) or by INSERT (as VALUES tuples). */
  copy: boolean;
  upserts: string[];
  deletes: Row[];
}

/** The part of a pg client that runs a COPY stream (pg's Client accepts any Submittable). */
interface CopyClient {
  query(stream: CopyStreamQuery): CopyStreamQuery;
}

export class PostgresSink implements Sink {
  /** Columns taken from each record, in order; document mode also sets `updated_at` to now(). */
  private readonly columns: string[];
  private readonly plans = new Map<string, Promise<TablePlan>>();
  /** Staging tables already created on a connection (temporary tables live as long as their session). */
  private readonly staged = new WeakMap<object, Set<string>>();

  constructor(
    private readonly config: PostgresSinkConfig,
    private readonly db: Database,
    private readonly ctx: ComponentContext,
  ) {
    if (config.mode === 'document' && config.key.length !== 1) {
      throw new BadConfigError(
        'key',
        'document mode takes exactly one key column (it receives the record key)',
      );
    }
    if (config.mode === 'columns' && !config.columns?.length) {
      throw new BadConfigError('columns', 'columns mode needs the list of columns to write');
    }
    this.columns =
      config.mode === 'document'
        ? [config.key[0]!, config.versionColumn, 'doc']
        : [...new Set([...config.key, config.versionColumn, ...config.columns!])];
  }

  async start(): Promise<void> {
    if (this.config.mode === 'document' && this.config.createTable)
      await this.createDocumentTable(this.config.table);
  }

  /** One round trip to the database: while a write waits to be retried, the runtime retries as soon as this answers. */
  async probe(): Promise<void> {
    await this.db.one('SELECT 1 AS ok');
  }

  /**
   * Upserts and deletes the batch in one transaction. A record that cannot become a row is listed
   * as failed; a statement the database refuses fails the whole batch with the PostgreSQL error.
   */
  async write(records: SinkRecord[]): Promise<WriteResult> {
    const failed: WriteResult['failed'] = [];
    const byTable = new Map<string, Map<unknown, Row>>();
    records.forEach((record, index) => {
      try {
        const row = this.toRow(record, index);
        const table = record.routing?.target ?? this.config.table;
        let rows = byTable.get(table);
        if (!rows) byTable.set(table, (rows = new Map<unknown, Row>()));
        // One statement cannot touch a row twice: keep the newest version of each key in the batch.
        const id = dedupeKey(row.key);
        const seen = rows.get(id);
        // A delete without a version is the latest event of its key so far: whatever follows it wins.
        if (!seen || seen.version === anyVersion || seen.version <= row.version) rows.set(id, row);
      } catch (error) {
        failed.push({ index, error: error as Error });
      }
    });
    if (!byTable.size) return { failed };
    const writes: TableWrite[] = [];
    for (const [table, rows] of byTable) {
      const plan = await this.plan(table);
      const upsertCount = [...rows.values()].filter((row) => !row.deleted).length;
      const copy = this.config.method === 'copy' && upsertCount >= this.config.copyMinRows;
      const write: TableWrite = { plan, copy, upserts: [], deletes: [] };
      for (const row of rows.values()) {
        if (row.deleted) {
          write.deletes.push(row);
          continue;
        }
        try {
          write.upserts.push(copy ? copyLine(plan, row) : valuesTuple(plan, row));
        } catch (error) {
          failed.push({ index: row.index, error: error as Error });
        }
      }
      writes.push(write);
    }
    try {
      if (writes.some((w) => w.copy && w.upserts.length)) await this.writeOnConnection(writes);
      else await transaction(this.db, (t) => this.writeTables(t, writes));
    } catch (error) {
      // A table altered since its plan was made: look again next time.
      if (isSchemaError(error)) this.plans.clear();
      throw error;
    }
    return { failed };
  }

  /**
   * The transaction of a batch that COPYs, on a connection held for it: COPY needs the pg client
   * under the transaction. A staging table is created in the first transaction of a connection
   * that needs it and emptied at every commit (`ON COMMIT DELETE ROWS`), so the connection's later
   * batches reuse it.
   */
  private async writeOnConnection(writes: TableWrite[]): Promise<void> {
    const connection = await this.db.connect();
    const client = connection.client as unknown as CopyClient;
    let staged = this.staged.get(client);
    if (!staged) this.staged.set(client, (staged = new Set()));
    const created: string[] = [];
    let discard = false;
    try {
      await transaction(connection, (t) => this.writeTables(t, writes, { client, staged, created }));
      // Only a committed CREATE leaves the table behind.
      for (const stage of created) staged.add(stage);
    } catch (error) {
      // A staging table made from an older shape of its target goes with its connection.
      discard = isSchemaError(error);
      throw error;
    } finally {
      void connection.done(discard);
    }
  }

  /** Every table's upserts, then its deletes, inside the batch's transaction. */
  private async writeTables(
    t: ITask<unknown>,
    writes: TableWrite[],
    copying?: { client: CopyClient; staged: Set<string>; created: string[] },
  ): Promise<void> {
    for (const { plan, copy, upserts, deletes } of writes) {
      if (upserts.length && copy && copying) {
        if (!copying.staged.has(plan.stage)) {
          await t.none(plan.createStage);
          copying.created.push(plan.stage);
        }
        await pipeline(Readable.from(copyChunks(upserts)), copying.client.query(copyFrom(plan.copy)));
        await t.none(plan.upsertFromStage);
      } else if (upserts.length) {
        await t.none(plan.insertHead + upserts.join(', ') + plan.onConflict);
      }
      if (deletes.length) await t.none(this.deleteSql(plan, deletes));
    }
  }

  private toRow(record: SinkRecord, index: number): Row {
    const value = record.value as Record<string, unknown> | null;
    const deleted = record.routing?.op === 'delete' || value === null || value === undefined;
    const version = this.versionOf(record, value, deleted);
    if (this.config.mode === 'document') {
      if (record.key === null) throw new Error('postgres sink (document mode): the record has no key');
      return {
        index,
        key: [record.key],
        version,
        deleted,
        values: [record.key, version, deleted ? null : value],
      };
    }
    const source =
      value ??
      (this.config.key.length === 1 && record.key !== null ? { [this.config.key[0]!]: record.key } : {});
    const key = this.config.key.map((column) => source[column]);
    if (key.some((part) => part === undefined || part === null)) {
      throw new Error(`postgres sink: the record lacks key column(s) ${this.config.key.join(', ')}`);
    }
    const versionColumn = this.config.versionColumn;
    const values = this.columns.map((column) =>
      column === versionColumn ? version : (source[column] ?? null),
    );
    return { index, key, version, deleted, values };
  }

  /**
   * The record's version, from the one place the config names. A delete (a tombstone) may carry
   * none: it then removes the key whatever version the row holds, as the latest event of its key.
   */
  private versionOf(record: SinkRecord, value: Record<string, unknown> | null, deleted: boolean): bigint {
    const { versionField, versionFrom } = this.config;
    if (versionFrom === 'offset') return integerVersion(record.origin.position.offset, 'its source offset');
    const hasValue = value !== null && typeof value === 'object';
    const raw = versionField !== undefined && hasValue ? value[versionField] : record.routing?.version;
    const where = versionField !== undefined ? `field '${versionField}'` : 'routing.version';
    if (raw === undefined || raw === null) {
      if (deleted) return anyVersion;
      throw new BadRecordError(
        'missing-version',
        `postgres sink: the record has no version in ${where}; this table takes its versions from there only`,
      );
    }
    return integerVersion(raw, where);
  }

  private plan(table: string): Promise<TablePlan> {
    let plan = this.plans.get(table);
    if (!plan) {
      plan = this.makePlan(table);
      this.plans.set(table, plan);
      plan.catch(() => this.plans.delete(table));
    }
    return plan;
  }

  private async makePlan(table: string): Promise<TablePlan> {
    const name = tableName(table);
    const target = name.toString();
    const jsonColumns = this.config.mode === 'document' ? new Set(['doc']) : await this.jsonColumns(target);
    const json = this.columns.map((column) => jsonColumns.has(column));
    const document = this.config.mode === 'document';
    const columns = this.columns.map((column) => pgp.as.name(column));
    const written = [...columns, ...(document ? [pgp.as.name('updated_at')] : [])];
    const keys = this.config.key.map((k) => pgp.as.name(k));
    const version = pgp.as.name(this.config.versionColumn);
    const updates = written
      .filter((c) => !keys.includes(c))
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    const onConflict = ` ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${updates} WHERE ${target}.${version} < excluded.${version}`;
    const now = document ? ', now()' : '';
    // One staging table per target and column list, so sinks sharing a pool never mix shapes.
    const stage = pgp.as.name(
      `tributary_stage_${createHash('sha256')
        .update(`${target}\0${columns.join(',')}`)
        .digest('hex')
        .slice(0, 16)}`,
    );
    return {
      name,
      json,
      rowTemplate: `(${columns.map((_, i) => `$${i + 1}`).join(', ')}${now})`,
      insertHead: `INSERT INTO ${target} (${written.join(', ')}) VALUES `,
      onConflict,
      stage,
      createStage: `CREATE TEMP TABLE IF NOT EXISTS ${stage} ON COMMIT DELETE ROWS AS SELECT ${columns.join(', ')} FROM ${target} WITH NO DATA`,
      copy: `COPY ${stage} (${columns.join(', ')}) FROM STDIN`,
      upsertFromStage: `INSERT INTO ${target} (${written.join(', ')}) SELECT ${columns.join(', ')}${now} FROM ${stage}${onConflict}`,
    };
  }

  /** The table's json and jsonb columns. */
  private async jsonColumns(target: string): Promise<Set<string>> {
    const rows = await this.db.any<{ name: string }>(
      `SELECT a.attname AS name FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND t.typname IN ('json', 'jsonb')`,
      [target],
    );
    return new Set(rows.map((r) => r.name));
  }

  private deleteSql(plan: TablePlan, rows: Row[]): string {
    const keyColumns = this.config.key.map((k) => pgp.as.name(k));
    const values = rows
      .map((r) => `(${[...r.key, r.version.toString()].map((v) => pgp.as.format('$1', [v])).join(', ')})`)
      .join(', ');
    const alias = `d(${[...keyColumns, '"__version"'].join(', ')})`;
    const join = keyColumns.map((k) => `t.${k} = d.${k}`).join(' AND ');
    return `DELETE FROM ${plan.name.toString()} AS t USING (VALUES ${values}) AS ${alias} WHERE ${join} AND t.${pgp.as.name(this.config.versionColumn)} <= d."__version"::bigint`;
  }

  private async createDocumentTable(table: string): Promise<void> {
    const name = tableName(table);
    if (name.schema) await this.db.none('CREATE SCHEMA IF NOT EXISTS $1:name', [name.schema]);
    await this.db.none(
      `CREATE TABLE IF NOT EXISTS ${name.toString()} ($1:name text PRIMARY KEY, $2:name bigint NOT NULL, doc jsonb, updated_at timestamptz NOT NULL DEFAULT now())`,
      [this.config.key[0], this.config.versionColumn],
    );
    this.ctx.logger.debug({ table }, 'Ensured the document table exists.');
  }
}

/** A version as a bigint; anything but an integer (or a string of digits) is this record's fault. */
function integerVersion(raw: unknown, where: string): bigint {
  const integer =
    typeof raw === 'bigint' ||
    (typeof raw === 'number' && Number.isSafeInteger(raw)) ||
    (typeof raw === 'string' && /^-?\d{1,19}$/.test(raw));
  if (!integer)
    throw new BadRecordError(
      'missing-version',
      `postgres sink: the version in ${where} is ${JSON.stringify(raw)}, not an integer`,
    );
  return BigInt(raw);
}

/**
 * Runs `work` in one transaction. When a statement fails, its error is what rejects, even when the
 * ROLLBACK after it fails too (as it does on a lost connection).
 */
async function transaction(
  on: IBaseProtocol<unknown>,
  work: (t: ITask<unknown>) => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  try {
    await on.tx('tributary-sink', (t) =>
      work(t).catch((error: unknown) => {
        failure = { error };
        throw error;
      }),
    );
  } catch (error) {
    throw failure ? failure.error : error;
  }
}

/** A row's key as a Map key: a single string or number as it is, otherwise one string. */
function dedupeKey(key: unknown[]): unknown {
  if (key.length === 1 && typeof key[0] !== 'object') return key[0];
  // Key columns are never null, and PostgreSQL text cannot hold NUL, so the joined parts are unambiguous.
  return key
    .map((part) => (typeof part === 'object' ? toJson(part) : String(part as string | number)))
    .join('\0');
}

/** A row as one line of COPY text. */
function copyLine(plan: TablePlan, row: Row): string {
  let line = '';
  for (let i = 0; i < row.values.length; i++)
    line += (i ? '\t' : '') + copyField(row.values[i], plan.json[i]);
  return `${line}\n`;
}

/** A row as one tuple of a VALUES list; json columns take the value's JSON text. */
function valuesTuple(plan: TablePlan, row: Row): string {
  const values = row.values.map((value, i) =>
    plan.json[i] && value !== null && value !== undefined ? toJson(value) : value,
  );
  return pgp.as.format(plan.rowTemplate, values);
}

/** COPY text lines joined into chunks of about 64 KiB. */
function* copyChunks(lines: string[]): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** SQLSTATE class 42 (an undefined table or column…): the statement no longer fits the schema. */
function isSchemaError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('42');
}

function tableName(table: string) {
  const dot = table.indexOf('.');
  return new pgp.helpers.TableName(
    dot < 0 ? { table } : { schema: table.slice(0, dot), table: table.slice(dot + 1) },
  );
}
