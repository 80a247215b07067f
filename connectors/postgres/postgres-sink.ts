import { z } from 'zod';
import { readEndpoints } from '../endpoints.js';
import {
  BadConfigError,
  defineSink,
  type ComponentContext,
  type Sink,
  type SinkRecord,
  type WriteResult,
} from '../../runtime/contract/index.js';
import { pgp, postgresPool, type Database } from './postgres-pool.js';

const identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
    'expected a table name, optionally schema-qualified',
  );

const postgresSinkConfig = z.object({
  url: z.string().optional().describe('Connection string; DATABASE_URL (or the local stack) when absent.'),
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
      'Field of the value holding the version; otherwise the record routing version, else the source offset.',
    ),
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe('Columns mode: the value fields to write (all other fields are ignored).'),
  createTable: z
    .boolean()
    .default(false)
    .describe(
      'Document mode: create the table (key text, version bigint, doc jsonb, updated_at) if missing.',
    ),
  poolSize: z
    .number()
    .int()
    .positive()
    .default(10)
    .describe('Connections in the pool shared by this process for the same URL.'),
});

export type PostgresSinkConfig = z.output<typeof postgresSinkConfig>;

export const postgresSink = defineSink({
  name: 'postgres',
  summary:
    'Upserts rows keyed by a declared key, guarded by a version column, and deletes by key, one transaction per batch.',
  description:
    'A write never lets an older version replace a newer one (`ON CONFLICT … WHERE version < excluded.version`), so replays, ' +
    'retries and rebalances cannot regress the table. In `document` mode each record becomes one row (key, version, jsonb ' +
    "document); in `columns` mode the record value's fields are the columns. A record routed with `op: delete` or a null " +
    'value deletes its key unless the row holds a newer version.',
  config: postgresSinkConfig,
  example: `type: postgres
table: reports.cases
mode: document
key: [case_id]
createTable: true`,
  create: async (config, ctx) =>
    new PostgresSink(
      config,
      await postgresPool(ctx.resources, config.url ?? readEndpoints().DATABASE_URL, config.poolSize),
      ctx,
    ),
});

interface Row {
  index: number;
  key: unknown[];
  version: bigint;
  values: Record<string, unknown>;
  deleted: boolean;
}

export class PostgresSink implements Sink {
  private readonly columns: string[];

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
        ? [config.key[0]!, config.versionColumn, 'doc', 'updated_at']
        : [...new Set([...config.key, config.versionColumn, ...config.columns!])];
  }

  async start(): Promise<void> {
    if (this.config.mode === 'document' && this.config.createTable)
      await this.createDocumentTable(this.config.table);
  }

  async write(records: SinkRecord[]): Promise<WriteResult> {
    const failed: WriteResult['failed'] = [];
    const byTable = new Map<string, Map<string, Row>>();
    records.forEach((record, index) => {
      try {
        const row = this.toRow(record, index);
        const table = record.routing?.target ?? this.config.table;
        let rows = byTable.get(table);
        if (!rows) byTable.set(table, (rows = new Map<string, Row>()));
        // One statement cannot touch a row twice: keep the newest version of each key in the batch.
        const id = JSON.stringify(row.key);
        const seen = rows.get(id);
        if (!seen || seen.version <= row.version) rows.set(id, row);
      } catch (error) {
        failed.push({ index, error: error as Error });
      }
    });
    if (byTable.size) {
      await this.db.tx('tributary-sink', async (t) => {
        for (const [table, rows] of byTable) {
          const all = [...rows.values()];
          const upserts = all.filter((r) => !r.deleted);
          const deletes = all.filter((r) => r.deleted);
          if (upserts.length) await t.none(this.upsertSql(table, upserts));
          if (deletes.length) await t.none(this.deleteSql(table, deletes));
        }
      });
    }
    return { failed };
  }

  private toRow(record: SinkRecord, index: number): Row {
    const value = record.value as Record<string, unknown> | null;
    const deleted = record.routing?.op === 'delete' || value === null || value === undefined;
    const version = this.versionOf(record, value);
    if (this.config.mode === 'document') {
      if (record.key === null) throw new Error('postgres sink (document mode): the record has no key');
      return {
        index,
        key: [record.key],
        version,
        deleted,
        values: {
          [this.config.key[0]!]: record.key,
          [this.config.versionColumn]: version,
          doc: deleted ? null : value,
          updated_at: new Date(),
        },
      };
    }
    const source =
      value ??
      (this.config.key.length === 1 && record.key !== null ? { [this.config.key[0]!]: record.key } : {});
    const key = this.config.key.map((column) => source[column]);
    if (key.some((part) => part === undefined || part === null)) {
      throw new Error(`postgres sink: the record lacks key column(s) ${this.config.key.join(', ')}`);
    }
    const values: Record<string, unknown> = {};
    for (const column of this.columns) values[column] = source[column] ?? null;
    values[this.config.versionColumn] = version;
    return { index, key, version, deleted, values };
  }

  private versionOf(record: SinkRecord, value: Record<string, unknown> | null): bigint {
    const raw =
      (this.config.versionField && value ? value[this.config.versionField] : undefined) ??
      record.routing?.version ??
      record.origin.position.offset;
    try {
      return BigInt(raw as string | number | bigint);
    } catch {
      throw new Error(`postgres sink: version ${JSON.stringify(raw)} is not an integer`);
    }
  }

  private upsertSql(table: string, rows: Row[]): string {
    const name = tableName(table);
    const columns = new pgp.helpers.ColumnSet(
      this.columns.map((column) =>
        column === 'doc' && this.config.mode === 'document' ? { name: column, mod: ':json' } : column,
      ),
      { table: name },
    );
    const insert = pgp.helpers.insert(
      rows.map((r) => r.values),
      columns,
    );
    const keys = this.config.key.map((k) => pgp.as.name(k)).join(', ');
    const version = pgp.as.name(this.config.versionColumn);
    const updates = this.columns
      .filter((c) => !this.config.key.includes(c))
      .map((c) => `${pgp.as.name(c)} = excluded.${pgp.as.name(c)}`)
      .join(', ');
    return `${insert} ON CONFLICT (${keys}) DO UPDATE SET ${updates} WHERE ${name.toString()}.${version} < excluded.${version}`;
  }

  private deleteSql(table: string, rows: Row[]): string {
    const name = tableName(table);
    const keyColumns = this.config.key.map((k) => pgp.as.name(k));
    const values = rows
      .map((r) => `(${[...r.key, r.version.toString()].map((v) => pgp.as.format('$1', [v])).join(', ')})`)
      .join(', ');
    const alias = `d(${[...keyColumns, '"__version"'].join(', ')})`;
    const join = keyColumns.map((k) => `t.${k} = d.${k}`).join(' AND ');
    return `DELETE FROM ${name.toString()} AS t USING (VALUES ${values}) AS ${alias} WHERE ${join} AND t.${pgp.as.name(this.config.versionColumn)} <= d."__version"::bigint`;
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

function tableName(table: string) {
  const dot = table.indexOf('.');
  return new pgp.helpers.TableName(
    dot < 0 ? { table } : { schema: table.slice(0, dot), table: table.slice(dot + 1) },
  );
}
