import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import pgPromise from 'pg-promise';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, produceDocs, versionedDocs } from '../support/pipeline-fixtures.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { startWorker, writePipelineFile, type Worker } from '../support/worker.js';

const names = testNames(import.meta.url);
const pgp = pgPromise({ noWarnings: true });
const servers: PrivatePostgres[] = [];
const workers: Worker[] = [];

afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  pgp.end();
  for (const server of servers) await server.destroy();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function readyz(port: number): Promise<{ status: number; reasons: string[] }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = (await response.json()) as { reasons?: string[] };
    return { status: response.status, reasons: body.reasons ?? [] };
  } catch {
    return { status: 0, reasons: [] };
  }
}

/** A private PostgreSQL, a topic of 2,000 documents × 5 versions, and a worker writing them to a table there. */
async function scenario(label: string, retry = '') {
  const postgres = new PrivatePostgres();
  servers.push(postgres);
  await postgres.start();
  const topic = names.topic(label);
  await createTopic(topic, 3);
  await produceDocs(topic, versionedDocs(2000, 5));
  const port = await freePort();
  const worker = startWorker(
    writePipelineFile(`
name: ${names.id}-${label}
source: { type: kafka, topics: ["${topic}"], partitions: 3, compact: false }
sinks:
  table: { type: postgres, url: "${postgres.url}", table: docs, key: [doc_id], versionField: version, createTable: true }
delivery:
  maxBatchRecords: 50
  maxBatchBytes: 10000
${retry}`),
    {},
    ['--port', String(port)],
  );
  workers.push(worker);
  const db = pgp({ connectionString: postgres.url });
  const versions = () =>
    db.any<{ doc_id: string; version: bigint }>('SELECT doc_id, version FROM docs').catch(() => []);
  /**
   * Starts PostgreSQL again and resolves with how long after it first answered (polled every
   * 20 ms) the worker's first write after that committed (the rows' transaction time).
   */
  const restartAndTimeResume = async (): Promise<number> => {
    const starting = postgres.start();
    const probe = pgp({ connectionString: postgres.url, connectionTimeoutMillis: 500 });
    let backAt = 0;
    while (!backAt) {
      const at = Date.now();
      if (
        await probe.one('SELECT 1').then(
          () => true,
          () => false,
        )
      )
        backAt = at;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await probe.$pool.end();
    await starting;
    for (;;) {
      const row = await db
        .oneOrNone<{ at: Date | null }>('SELECT min(updated_at) AS at FROM docs WHERE updated_at >= $1', [
          new Date(backAt),
        ])
        .catch(() => null);
      if (row?.at) return row.at.getTime() - backAt;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { postgres, topic, port, worker, versions, restartAndTimeResume };
}

describe('a sink database outage', () => {
  it(
    'answers 503 with the reason while PostgreSQL is down for 20 s, never crashes or skips, and resumes once it is back',
    { timeout: 150_000 },
    async () => {
      const s = await scenario('outage');
      expect(await eventually(async () => (await s.versions()).length > 0, 30_000, 50)).toBe(true);
      expect(await eventually(async () => (await readyz(s.port)).status === 200, 30_000, 100)).toBe(true);

      await s.postgres.stop();
      const downAt = Date.now();
      // More changes arrive while the database is away.
      await produceDocs(s.topic, versionedDocs(2000, 8, 6));
      const unready = await eventually(async () => (await readyz(s.port)).status === 503, 15_000, 100);
      expect(unready).toBe(true);
      expect((await readyz(s.port)).reasons.join('\n')).toMatch(/sink 'table' is failing since .*: /);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20_000 - (Date.now() - downAt))));
      expect(s.worker.process.exitCode).toBeNull();
      expect(s.worker.output()).toMatch(/Retrying after a transient failure/);

      const resumedAfterMs = await s.restartAndTimeResume();
      console.info(
        `writes resumed ${resumedAfterMs} ms after PostgreSQL answered again (default retry policy)`,
      );
      const converged = await eventually(async () => {
        const rows = await s.versions();
        return rows.length === 2000 && rows.every((r) => r.version === 8n);
      }, 60_000);
      expect(converged).toBe(true);
      expect(await eventually(async () => (await readyz(s.port)).status === 200, 15_000, 100)).toBe(true);
      expect(s.worker.output()).not.toMatch(/cannot go on/);
      s.worker.kill('SIGTERM');
      expect((await s.worker.exited).code).toBe(0);
    },
  );

  it(
    'retries as soon as the database answers again, not when the backoff would have ended',
    { timeout: 150_000 },
    async () => {
      // A first wait of 30 s: only the probe can end it early.
      const s = await scenario('probe', '  retry: { initialDelayMs: 30000, maxDelayMs: 30000, jitter: 0 }');
      expect(await eventually(async () => (await s.versions()).length > 0, 30_000, 50)).toBe(true);
      await s.postgres.stop();
      await produceDocs(s.topic, versionedDocs(2000, 8, 6));
      expect(
        await eventually(
          () => Promise.resolve(/Retrying after a transient failure/.test(s.worker.output())),
          20_000,
        ),
      ).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const resumedAfterMs = await s.restartAndTimeResume();
      console.info(`with a 30 s backoff, writes resumed ${resumedAfterMs} ms after PostgreSQL returned`);
      expect(resumedAfterMs).toBeLessThan(15_000);
      s.worker.kill('SIGTERM');
      expect((await s.worker.exited).code).toBe(0);
    },
  );
});
