import { afterAll, describe, expect, it } from 'vitest';
import { testNames } from '../support/resources.js';
import {
  createTopic,
  eventually,
  produceDocs,
  tableVersions,
  testDatabase,
  versionedDocs,
} from '../support/pipeline-fixtures.js';
import { startWorker, writePipelineFile, type Worker } from '../support/worker.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const workers: Worker[] = [];
const KEYS = 2000;
const VERSIONS = 8;

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

describe('parallelism by key', () => {
  it(
    'loses nothing when a worker processing key groups concurrently is killed with SIGKILL and restarted',
    { timeout: 150_000 },
    async () => {
      // One partition: every record of the run goes through the concurrent key groups of one lane.
      const topic = names.topic('keyed');
      const table = `${names.pgSchema()}.keyed`;
      await createTopic(topic, 1);
      await produceDocs(topic, versionedDocs(KEYS, VERSIONS));
      const file = writePipelineFile(`
name: ${names.id}-keyed
source: { type: kafka, topics: [${topic}], partitions: 1, compact: false }
sinks:
  table: { type: postgres, table: ${table}, key: [doc_id], versionField: version, createTable: true }
parallelism: { by: key, maxInFlight: 8 }
delivery: { maxBatchRecords: 50, maxBatchBytes: 20000, shutdownTimeoutMs: 10000 }
`);
      const start = () => {
        const worker = startWorker(file);
        workers.push(worker);
        return worker;
      };
      const converged = async () => {
        const versions = await tableVersions(database.db, table);
        return versions.size === KEYS && [...versions.values()].every((v) => v === BigInt(VERSIONS));
      };
      const first = start();
      expect(
        await eventually(async () => (await tableVersions(database.db, table)).size > 0, 30_000, 50),
      ).toBe(true);
      first.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      expect(await converged()).toBe(false);

      // The restarted worker resumes from the last committed position: every key reaches its last version.
      const second = start();
      expect(await eventually(converged, 90_000)).toBe(true);
      second.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    },
  );
});
