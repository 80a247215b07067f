import { afterAll } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { postgresSink } from '../../connectors/postgres/postgres-sink.js';
import { postgresPool } from '../../connectors/postgres/postgres-pool.js';
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
const schema = names.pgSchema();
let tables = 0;
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A postgres sink in columns mode on a fresh table (doc_id, n integer, version) of `url`. */
async function open(url: string): Promise<SinkUnderTest> {
  const resources = new ResourcePool();
  const db = await postgresPool(resources, url, 2);
  const table = `${schema}.t${++tables}`;
  await db.none('CREATE SCHEMA IF NOT EXISTS $1:name', [schema]);
  await db.none(
    `CREATE TABLE ${table} (doc_id text PRIMARY KEY, n integer NOT NULL, version bigint NOT NULL)`,
  );
  const config = postgresSink.config.parse({
    url,
    table,
    mode: 'columns',
    key: ['doc_id'],
    columns: ['doc_id', 'n'],
    versionFrom: 'routing',
    poolSize: 2,
  });
  const ctx = standaloneContext({ pipeline: names.id, endpoints: readEndpoints(), resources });
  const sink = await postgresSink.create(config, ctx);
  await sink.start?.();
  return {
    sink,
    read: async () =>
      new Map(
        (await db.any<{ doc_id: string; n: number }>(`SELECT doc_id, n FROM ${table}`)).map(
          (row): [string, ConformanceValue] => [row.doc_id, { n: row.n }],
        ),
      ),
    close: async () => {
      await sink.close?.();
      await resources.close();
    },
  };
}

describeSinkConformance('postgres', {
  open: () => open(readEndpoints().DATABASE_URL),
  record: (key, version, value) =>
    sinkRecord(
      key,
      value === null ? null : { doc_id: key, ...value },
      value === null ? { version, op: 'delete' } : { version },
    ),
  malformed: (key) => sinkRecord(key, { doc_id: key, n: 1 }, { version: 'not a number' }),
  refused: (key, version) => sinkRecord(key, { doc_id: key, n: 'not an integer' }, { version }),
  // Known gap (found by this suite): a delete removes the row and its version with it, so an older
  // upsert replayed on its own afterwards (a dead-letter replay, a rewind that stops between the
  // two) writes the key again. In-order redeliveries are fine. Keeping tombstones needs a change of
  // the sink's table layout.
  keepsDeletedVersions: false,
  unreachable: async () => {
    const server = new PrivatePostgres();
    cleanups.push(() => server.destroy());
    await server.start();
    const under = await open(server.url);
    await server.stop();
    return { under, restore: () => server.start() };
  },
});
