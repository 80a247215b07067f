import { afterAll, describe, expect, it } from 'vitest';
import type { PipelineStatus } from '../../cli/commands/ops.js';
import { tributary } from '../../cli/tributary.js';
import { PipelineHost } from '../../cli/pipeline-host.js';
import { registry } from '../../cli/registry.js';
import { loadPipelineFile } from '../../runtime/config/index.js';
import { silentLogger } from '../../runtime/telemetry/logger.js';
import { testNames } from '../support/resources.js';
import {
  eventually,
  produceDocs,
  tableVersions,
  testDatabase,
  versionedDocs,
} from '../support/pipeline-fixtures.js';
import { writePipelineFile } from '../support/worker.js';
import { startTelemetryServer } from '../../runtime/telemetry/http-server.js';
import type { AddressInfo } from 'node:net';

const names = testNames(import.meta.url);
const topic = names.topic('docs');
const table = `${names.pgSchema()}.docs`;
const database = await testDatabase();
const file = writePipelineFile(`
name: ${names.id}
source: { type: kafka, topics: ["${topic}"], partitions: 3 }
sinks:
  table: { type: postgres, table: ${table}, key: [doc_id], versionField: version, createTable: true }
`);

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});
async function status(): Promise<PipelineStatus> {
  const { code, out } = await tributary(['status', file, '--json']);
  expect(code).toBe(0);
  return (JSON.parse(out) as PipelineStatus[])[0]!;
}

describe('operating a pipeline', () => {
  it(
    'creates declared topics, reports status and lag, and rewinds only a stopped group',
    { timeout: 90_000 },
    async () => {
      let run = await tributary(['topics', 'ensure', file]);
      expect(run.code).toBe(0);
      expect(run.out).toMatch(new RegExp(`${topic.replace('.', '\\.')}\\s+created`));
      run = await tributary(['topics', 'ensure', file]);
      expect(run.code).toBe(0);
      expect(run.out).toMatch(new RegExp(`${topic.replace('.', '\\.')}\\s+ok`));

      await produceDocs(topic, versionedDocs(100, 3));
      const before = await status();
      expect(before.lag).toBe(300);
      expect(before.members).toEqual([]);

      const loaded = await loadPipelineFile(file, registry);
      if (!loaded.ok) throw new Error('pipeline file is invalid');
      const host = new PipelineHost(silentLogger, { defaultMetrics: true });
      const server = await startTelemetryServer(0, '127.0.0.1', host.metrics.registry, {
        healthy: () => host.healthy,
        ready: () => host.ready,
      });
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      await host.start([loaded.plan]);
      try {
        expect(
          await eventually(async () => (await tableVersions(database.db, table)).size === 100, 30_000),
        ).toBe(true);
        expect(await eventually(async () => (await status()).lag === 0, 20_000)).toBe(true);
        const running = await status();
        expect(running.members).toHaveLength(1);
        expect(running.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
        expect(running.deadLetters).toEqual({ total: 0, pending: 0 });

        expect((await fetch(`${base}/healthz`)).status).toBe(200);
        expect((await fetch(`${base}/readyz`)).status).toBe(200);
        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).toContain(`tributary_records_in_total{pipeline="${names.id}"} 300`);
        expect(metrics).toContain(`tributary_records_out_total{pipeline="${names.id}",sink="table"} 300`);
        expect(metrics).toMatch(/tributary_batch_duration_seconds_count\{pipeline="[^"]+"\} \d+/);
        expect(metrics).toContain('process_resident_memory_bytes');

        run = await tributary(['rewind', file, '--to', 'earliest']);
        expect(run.code).toBe(1);
        expect(run.err).toMatch(/has 1 member\(s\); stop its workers before rewinding/);
      } finally {
        await host.stop();
        server.close();
      }

      expect((await tributary(['rewind', file, '--to', 'earliest'])).code).toBe(0);
      expect((await status()).lag).toBe(300);
    },
  );
});
