import { afterAll } from 'vitest';
import { compileDataSource } from '../../commcare/ucr/compile-data-source.js';
import { ucrPhysicalTableName, ucrQualified } from '../../commcare/ucr/ucr-table-names.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { postgresPool } from '../../connectors/postgres/postgres-pool.js';
import {
  ucrPostgresCatalogType,
  type UcrPostgresCatalog,
} from '../../connectors/ucr/ucr-postgres-catalog.js';
import { ucrPostgresSink } from '../../connectors/ucr/ucr-postgres-sink.js';
import { ucrDropTableDdl, ucrTableDdl } from '../../connectors/ucr/ucr-table-ddl.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { standaloneContext } from '../../runtime/engine/standalone-context.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { testNames } from '../support/resources.js';
import {
  describeSinkConformance,
  sinkRecord,
  type ConformanceValue,
  type SinkUnderTest,
} from './sink-conformance.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
let tables = 0;
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A ucr-postgres sink writing to a fresh table of a one-column data source (n integer), through a catalog listing only it. */
async function open(url: string): Promise<SinkUnderTest> {
  const resources = new ResourcePool();
  const db = await postgresPool(resources, url, 2);
  const dataSource = compileDataSource({
    domain,
    table_id: `t${++tables}`,
    referenced_doc_type: 'CommCareCase',
    configured_indicators: [
      {
        type: 'expression',
        column_id: 'n',
        datatype: 'integer',
        expression: { type: 'property_name', property_name: 'n' },
      },
    ],
  });
  const table = ucrPhysicalTableName(domain, dataSource.tableId, dataSource.definitionHash);
  for (const statement of ucrTableDdl(table, dataSource)) await db.none(statement);
  const catalog: UcrPostgresCatalog = {
    db,
    notReady: () => undefined,
    dataSources: () => [{ key: 'k', dataSource }],
    fetch: () => Promise.resolve(new Map()),
    tablesFor: (key) => (key === 'k' ? [{ table, dataSource, replaceEqualVersion: false }] : []),
    refresh: () => Promise.resolve(),
  };
  const ctx = {
    ...standaloneContext({ pipeline: names.id, endpoints: readEndpoints(), resources }),
    resource: <T>(type: { name: string }, name: string) => {
      if (type.name !== ucrPostgresCatalogType.name || name !== 'ucr') throw new Error(`no resource ${name}`);
      return catalog as T;
    },
  };
  const sink = await ucrPostgresSink.create(
    ucrPostgresSink.config.parse({ catalog: 'ucr', copyMinRows: 2 }),
    ctx,
  );
  return {
    sink,
    read: async () =>
      new Map(
        (await db.any<{ doc_id: string; n: number }>(`SELECT doc_id, n FROM ${ucrQualified(table)}`)).map(
          (row): [string, ConformanceValue] => [row.doc_id, { n: row.n }],
        ),
      ),
    close: async () => {
      for (const statement of ucrDropTableDdl(table)) await db.none(statement).catch(() => undefined);
      await resources.close();
    },
  };
}

describeSinkConformance('ucr-postgres', {
  open: () => open(readEndpoints().DATABASE_URL),
  // What the ucr stage emits: the document's complete rows, routed to its data source with the version.
  record: (key, version, value) =>
    sinkRecord(
      key,
      { docId: key, rows: value === null ? [] : [{ doc_id: key, n: value.n }] },
      { target: 'k', version, op: value === null ? 'delete' : 'upsert' },
    ),
  malformed: (key, version) => sinkRecord(key, { docId: key, rows: [{ doc_id: key, n: 1 }] }, { version }),
  refused: (key, version) =>
    sinkRecord(key, { docId: key, rows: [{ doc_id: key, n: 'not an integer' }] }, { target: 'k', version }),
  unreachable: async () => {
    const server = new PrivatePostgres();
    cleanups.push(() => server.destroy());
    await server.start();
    const under = await open(server.url);
    await server.stop();
    return { under, restore: () => server.start() };
  },
});
