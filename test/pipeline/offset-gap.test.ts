import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { PipelineStatus } from '../../cli/commands/ops.js';
import { tributary } from '../../cli/tributary.js';
import { registry } from '../../cli/registry.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { loadPipelineFile, type PipelinePlan } from '../../runtime/config/index.js';
import { testNames } from '../support/resources.js';
import {
  createTopic,
  eventually,
  produce,
  startPipelines,
  tableVersions,
  testDatabase,
} from '../support/pipeline-fixtures.js';
import { writePipelineFile } from '../support/worker.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const kafka = new Kafka({ brokers: [...readEndpoints().KAFKA_BROKERS], logLevel: logLevel.NOTHING });

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});
afterEach(() => vi.restoreAllMocks());

const docs = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    key: `doc-${from + i}`,
    value: JSON.stringify({ id: `doc-${from + i}`, version: 1 }),
  }));

async function committedOffset(group: string, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [fetched] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return fetched!.partitions[0]!.offset;
  } finally {
    await admin.disconnect();
  }
}

async function deleteRecordsBefore(topic: string, offset: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs it loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(offset) }] });
  } finally {
    await admin.disconnect();
  }
}

/** Runs a command with its console output captured; resolves with its exit code and what it printed. */
/** `tributary <argv>` in process: its exit code and everything it printed. */
async function command(argv: string[]): Promise<{ code: number; output: string }> {
  const { code, out, err } = await tributary(argv);
  return { code, output: [out, err].filter(Boolean).join('\n') };
}

async function planFile(
  label: string,
  topic: string,
  client: string,
): Promise<{ file: string; plan: PipelinePlan }> {
  const file = writePipelineFile(`
name: ${names.id}-${label}
source: { type: kafka, client: ${client}, topics: ["${topic}"], partitions: 1, compact: false }
sinks:
  table: { type: postgres, table: ${names.pgSchema()}.${label.replace(/-/g, '_')}, key: [doc_id], versionField: version, createTable: true }
`);
  const loaded = await loadPipelineFile(file, registry);
  if (!loaded.ok) throw new Error('pipeline file is invalid');
  return { file, plan: loaded.plan };
}

describe.each(['platformatic', 'kafkajs'])('records deleted before they were processed (%s)', (client) => {
  it(
    'refuses the partition, says so in readiness, the metric and status, and goes on only after rewind --accept-gap',
    { timeout: 180_000 },
    async () => {
      const topic = names.topic(`gap-${client}`);
      const table = `${names.pgSchema()}.gap_${client}`;
      await createTopic(topic, 1);
      await produce(topic, docs(0, 100));
      const { file, plan } = await planFile(`gap-${client}`, topic, client);
      const group = plan.name;

      let host = await startPipelines([plan]);
      expect(
        await eventually(async () => (await tableVersions(database.db, table)).size === 100, 60_000),
      ).toBe(true);
      expect(await eventually(async () => (await committedOffset(group, topic)) === '100', 30_000)).toBe(
        true,
      );
      await host.stop();

      // While the pipeline is stopped, 100 more records arrive and the first 150 of the partition
      // are deleted: 50 of them (offsets 100–149) were never processed.
      await produce(topic, docs(100, 200));
      await deleteRecordsBefore(topic, 150);

      host = await startPipelines([plan]);
      try {
        const refused = await eventually(
          () => Promise.resolve(host.notReadyReasons().some((r) => r.includes('refused'))),
          60_000,
          200,
        );
        expect(refused).toBe(true);
        expect(host.notReadyReasons().join('\n')).toContain(
          `lane ${topic}:0 refused: ${topic} partition 0: the committed offset 100 is below the log start 150; ` +
            '50 record(s) were deleted before this pipeline processed them',
        );
        expect(host.ready).toBe(false);
        const metrics = await host.metrics.registry.metrics();
        expect(metrics).toContain(`tributary_offset_gap_records{pipeline="${group}",lane="${topic}:0"} 50`);
        // Nothing after the gap was written, nothing was committed past it.
        await new Promise((resolve) => setTimeout(resolve, 2000));
        expect((await tableVersions(database.db, table)).size).toBe(100);
        expect(await committedOffset(group, topic)).toBe('100');

        const status = await command(['status', file, '--json']);
        const partition = (JSON.parse(status.output) as PipelineStatus[])[0]!.partitions[0]!;
        expect(partition).toMatchObject({ committed: '100', logStart: '150', gap: 50 });
        const text = await command(['status', file]);
        expect(text.output).toMatch(/GAP .*partition 0: the committed offset 100 is below the log start 150/);
      } finally {
        await host.stop();
      }

      const refusedRewind = await command(['rewind', file, '--to', 'earliest']);
      expect(refusedRewind.code).toBe(1);
      expect(refusedRewind.output).toMatch(/pass --accept-gap/);
      expect(await committedOffset(group, topic)).toBe('100');
      const accepted = await command(['rewind', file, '--to', 'earliest', '--accept-gap']);
      expect(accepted.code).toBe(0);
      expect(await committedOffset(group, topic)).toBe('150');

      host = await startPipelines([plan]);
      try {
        expect(
          await eventually(async () => (await tableVersions(database.db, table)).size === 150, 60_000),
        ).toBe(true);
        expect(await eventually(() => Promise.resolve(host.ready), 30_000, 200)).toBe(true);
      } finally {
        await host.stop();
      }
    },
  );

  it('starts a new group where the log starts, without calling that a gap', { timeout: 90_000 }, async () => {
    const topic = names.topic(`fresh-${client}`);
    await createTopic(topic, 1);
    await produce(topic, docs(0, 100));
    await deleteRecordsBefore(topic, 60);
    const { plan } = await planFile(`fresh-${client}`, topic, client);
    const host = await startPipelines([plan]);
    try {
      const table = `${names.pgSchema()}.fresh_${client}`;
      expect(
        await eventually(async () => (await tableVersions(database.db, table)).size === 40, 60_000),
      ).toBe(true);
      expect(await eventually(() => Promise.resolve(host.ready), 30_000, 200)).toBe(true);
    } finally {
      await host.stop();
    }
  });
});
