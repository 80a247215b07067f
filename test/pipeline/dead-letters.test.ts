import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tributary } from '../../cli/tributary.js';
import { connectors } from '../../connectors/index.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { listDeadLetters } from '../../connectors/postgres/postgres-dead-letters.js';
import { processors } from '../../processors/index.js';
import { defineProcessor } from '../../runtime/contract/index.js';
import { createRegistry } from '../../runtime/registry/index.js';
import { testNames } from '../support/resources.js';
import {
  createTopic,
  eventually,
  planOf,
  produce,
  startPipelines,
  tableVersions,
  testDatabase,
} from '../support/pipeline-fixtures.js';

// A stage that throws for one payload, until its config is fixed.
const picky = defineProcessor({
  name: 'picky',
  summary: 'test stage',
  config: z.object({ rejects: z.string().optional() }),
  example: 'type: picky',
  create: (config) => ({
    process: (record) => {
      if ((record.value as { payload?: string }).payload === config.rejects)
        throw new TypeError(`cannot handle ${config.rejects}`);
      return [record];
    },
  }),
});
const registry = createRegistry([...connectors, ...processors, picky]);

const names = testNames(import.meta.url);
const topic = names.topic('docs');
const table = `${names.pgSchema()}.docs`;
const database = await testDatabase();

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

const pipeline = (rejects: string) => `
name: ${names.id}
source:
  type: kafka
  topics: [${topic}]
  compact: false
processors:
  - type: picky
    ${rejects ? `rejects: ${rejects}` : ''}
sinks:
  table: { type: postgres, table: ${table}, key: [doc_id], versionField: version, createTable: true }
`;

async function readDeadLetterTopic(): Promise<{ key: string; headers: Record<string, string> }[]> {
  const kafka = new Kafka({ brokers: [...readEndpoints().KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${names.id}-reader` });
  const seen: { key: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: `${names.id}.dead-letter`, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      seen.push({ key: message.key!.toString(), headers });
      return Promise.resolve();
    },
  });
  await eventually(() => Promise.resolve(seen.length >= 2), 20_000);
  await consumer.disconnect();
  return seen;
}

describe('dead letters', () => {
  it(
    'sends an undecodable record and a record a stage rejects to the dead-letter topic and table, and goes on',
    { timeout: 90_000 },
    async () => {
      await createTopic(topic, 2);
      const good = Array.from({ length: 20 }, (_, i) => ({
        key: `doc-${i}`,
        value: JSON.stringify({ id: `doc-${i}`, version: 1, payload: 'fine' }),
      }));
      await produce(topic, [
        ...good.slice(0, 10),
        { key: 'poison', value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
        { key: 'boom', value: JSON.stringify({ id: 'boom', version: 1, payload: 'boom' }) },
        ...good.slice(10),
      ]);

      const host = await startPipelines([planOf(pipeline('boom'), registry, {})]);
      try {
        expect(
          await eventually(async () => (await tableVersions(database.db, table)).size === 20, 30_000),
        ).toBe(true);
        expect(
          await eventually(
            async () => (await listDeadLetters(database.db, { pipeline: names.id })).length === 2,
            10_000,
          ),
        ).toBe(true);
      } finally {
        await host.stop();
      }

      const stored = await listDeadLetters(database.db, { pipeline: names.id });
      expect(stored.map((l) => [l.record_key?.toString(), l.stage, l.error_class, l.reason]).sort()).toEqual([
        ['boom', 'processor[0]:picky', 'TypeError', null],
        ['poison', 'decode', 'BadRecordError', 'json-parse'],
      ]);
      expect(stored.find((l) => l.stage === 'decode')!.record_value).toEqual(
        Buffer.from([0xde, 0xad, 0xbe, 0xef]),
      );

      const onTopic = await readDeadLetterTopic();
      expect(
        onTopic
          .map((m) => [m.key, m.headers['tributary.stage'], m.headers['tributary.error.message']])
          .sort(),
      ).toEqual([
        ['boom', 'processor[0]:picky', 'cannot handle boom'],
        ['poison', 'decode', expect.stringMatching(/is not JSON/)],
      ]);
      expect(onTopic.every((m) => m.headers['tributary.source.lane']?.startsWith(topic))).toBe(true);

      // After the fix, a replay writes the record the stage used to reject; the poison stays dead.
      const fixed = join(mkdtempSync(join(tmpdir(), 'tributary-')), 'fixed.yaml');
      writeFileSync(fixed, pipeline(''));
      const replayed = await tributary(['dlq', 'replay', fixed], { registry });
      expect(replayed.code).toBe(1); // one failed again
      expect(replayed.out).toMatch(
        /1 failed again and are dead letters anew:\n {2}\d+ → dead letter \d+ \(decode: /,
      );
      const versions = await tableVersions(database.db, table);
      expect(versions.get('boom')).toBe(1n);
      const after = await listDeadLetters(database.db, { pipeline: names.id });
      expect(after.filter((l) => l.replayed_at === null).map((l) => l.record_key?.toString())).toEqual([
        'poison',
      ]);
    },
  );
});
