import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../cli/registry.js';
import { testNames } from '../support/resources.js';
import {
  createTopic,
  eventually,
  planOf,
  produceDocs,
  startPipelines,
  tableVersions,
  testDatabase,
  versionedDocs,
} from '../support/pipeline-fixtures.js';

const names = testNames(import.meta.url);
const topic = names.topic('docs');
const table = `${names.pgSchema()}.docs`;
const database = await testDatabase();

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

const pipeline = `
name: ${names.id}
source:
  type: kafka
  topics: [${topic}]
  partitions: 4
  compact: false
sinks:
  table:
    type: postgres
    table: ${table}
    key: [doc_id]
    versionField: version
    createTable: true
delivery:
  maxBatchRecords: 1000
`;

describe('kafka → postgres pipeline', () => {
  it(
    'materialises 50,000 records: every key present once with its last version',
    { timeout: 120_000 },
    async () => {
      await createTopic(topic, 4);
      const docs = versionedDocs(5000, 10);
      await produceDocs(topic, docs);

      const host = await startPipelines([planOf(pipeline, registry, process.env)]);
      try {
        const done = await eventually(async () => {
          const versions = await tableVersions(database.db, table);
          return versions.size === 5000 && [...versions.values()].every((v) => v === 10n);
        }, 90_000);
        expect(done).toBe(true);
        const recordsOut = (await host.metrics.recordsOut.get()).values.reduce((sum, v) => sum + v.value, 0);
        expect(recordsOut).toBe(50_000);
      } finally {
        await host.stop();
      }
    },
  );

  it('runs several pipelines in one process, each its own consumer group', { timeout: 60_000 }, async () => {
    const shared = names.topic('shared');
    await createTopic(shared, 2);
    await produceDocs(shared, versionedDocs(200, 3));
    const plans = ['left', 'right'].map((side) =>
      planOf(
        `
name: ${names.id}-${side}
source: { type: kafka, topics: ["${shared}"], partitions: 2 }
sinks:
  table: { type: postgres, table: ${names.pgSchema()}.${side}, key: [doc_id], versionField: version, createTable: true }
`,
        registry,
      ),
    );
    const host = await startPipelines(plans);
    try {
      for (const side of ['left', 'right']) {
        const done = await eventually(async () => {
          const versions = await tableVersions(database.db, `${names.pgSchema()}.${side}`);
          return versions.size === 200 && [...versions.values()].every((v) => v === 3n);
        }, 30_000);
        expect(done).toBe(true);
      }
    } finally {
      await host.stop();
    }
  });
});
