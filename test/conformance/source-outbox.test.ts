import { afterAll } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { OutboxSource, outboxSource } from '../../connectors/outbox/outbox-source.js';
import { ensureOutboxTable, insertOutboxRows } from '../../connectors/outbox/outbox-table.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { standaloneContext } from '../../runtime/engine/standalone-context.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';
import { describeSourceConformance } from './source-conformance.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
let tables = 0;

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

describeSourceConformance('outbox', async () => {
  const table = `${names.pgSchema()}.outbox${++tables}`;
  const channel = `${names.id}_${tables}`;
  await database.db.none('CREATE SCHEMA IF NOT EXISTS $1:name', [names.pgSchema()]);
  await ensureOutboxTable(database.db, table);
  const ctx = standaloneContext({
    pipeline: names.id,
    endpoints: readEndpoints(),
    resources: new ResourcePool(),
  });
  const config = outboxSource.config.parse({
    table,
    channel,
    batchSize: 3,
    pollIntervalMs: 200,
    lockRetryMs: 100,
  });
  return {
    append: (items) =>
      database.db.tx((t) =>
        insertOutboxRows(
          t,
          items.map((item) => ({
            topic: 'cases',
            docId: item.key,
            docType: 'CommCareCase',
            version: item.n,
            payload: { doc_id: item.key, version: item.n },
          })),
          { table, channel },
        ),
      ),
    open: () => Promise.resolve(new OutboxSource(config, ctx, database.db)),
    read: (record) => ({ key: record.key!, n: Number(record.routing!.version) }),
    cleanup: () => Promise.resolve(),
  };
});
