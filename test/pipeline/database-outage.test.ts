import { afterAll, describe, expect, it } from 'vitest';
import pgPromise from 'pg-promise';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, produceDocs, versionedDocs } from '../support/pipeline-fixtures.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { startWorker, writePipelineFile, type Worker } from '../support/worker.js';

const names = testNames(import.meta.url);
const postgres = new PrivatePostgres();
const pgp = pgPromise({ noWarnings: true });
let worker: Worker | undefined;

afterAll(async () => {
  worker?.kill('SIGKILL');
  pgp.end();
  await postgres.destroy();
});

describe('a sink database outage', () => {
  it(
    'retries while PostgreSQL is down for 20 s, without crashing or skipping, and converges once it is back',
    { timeout: 150_000 },
    async () => {
      await postgres.start();
      const topic = names.topic('docs');
      await createTopic(topic, 3);
      await produceDocs(topic, versionedDocs(2000, 5));
      worker = startWorker(
        writePipelineFile(`
name: ${names.id}
source: { type: kafka, topics: ["${topic}"], partitions: 3, compact: false }
sinks:
  table: { type: postgres, url: "${postgres.url}", table: docs, key: [doc_id], versionField: version, createTable: true }
delivery:
  maxBatchRecords: 50
  maxBatchBytes: 10000
  retry: { initialDelayMs: 200, maxDelayMs: 2000 }
`),
      );
      const db = pgp({ connectionString: postgres.url });
      const versions = () =>
        db.any<{ doc_id: string; version: bigint }>('SELECT doc_id, version FROM docs').catch(() => []);
      expect(await eventually(async () => (await versions()).length > 0, 30_000, 50)).toBe(true);

      await postgres.stop();
      // More changes arrive while the database is away.
      await produceDocs(topic, versionedDocs(2000, 8, 6));
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      expect(worker.process.exitCode).toBeNull();
      expect(worker.output()).toMatch(/Retrying after a transient failure/);

      await postgres.start();
      const converged = await eventually(async () => {
        const rows = await versions();
        return rows.length === 2000 && rows.every((r) => r.version === 8n);
      }, 60_000);
      expect(converged).toBe(true);
      expect(worker.output()).not.toMatch(/cannot go on/);
      worker.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
    },
  );
});
