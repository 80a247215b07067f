import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineHost } from '../../cli/pipeline-host.js';
import { registry } from '../../cli/registry.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { ucrProblemsTable } from '../../connectors/ucr/ucr-catalog.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, planOf, testDatabase } from '../support/pipeline-fixtures.js';
import {
  configFolder,
  dropDomain,
  formEvent,
  produceForms,
  ucrPipeline,
  viewRows,
  xmlnsDataSource,
} from '../ucr/ucr-fixtures.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const database = await testDatabase();
const folder = await configFolder();

const config = (over: object) => xmlnsDataSource(domain, over);

afterAll(async () => {
  await dropDomain(database.db, domain);
  await database.db.none(`DELETE FROM ${ucrProblemsTable} WHERE owner = $1`, [names.id]);
  await database.close();
  await folder.cleanup();
});

async function committed(topic: string): Promise<string> {
  const admin = new Kafka({
    brokers: [...readEndpoints().KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const [fetched] = await admin.fetchOffsets({ groupId: names.id, topics: [topic] });
    return fetched!.partitions[0]!.offset;
  } finally {
    await admin.disconnect();
  }
}

describe('a UCR pipeline whose every data source is refused', () => {
  it(
    'consumes nothing and stays not ready, saying why, until a configuration can be used',
    { timeout: 120_000 },
    async () => {
      const topic = names.topic('forms');
      await createTopic(topic, 1);
      await folder.write('a-refused.json', config({ table_id: 'x"; DROP TABLE t; --' }));
      await produceForms(
        topic,
        [1, 2, 3].map((n) => formEvent(domain, `${domain}-f${n}`, 1)),
      );

      const log: string[] = [];
      const destination = new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          log.push(chunk.toString());
          done();
        },
      });
      const host = new PipelineHost(createLogger({ level: 'info', destination }), { defaultMetrics: false });
      await host.start([planOf(ucrPipeline(names.id, [topic], folder.path), registry)]);
      try {
        const reason = 'no usable UCR data source';
        expect(
          await eventually(
            () => Promise.resolve(host.notReadyReasons().some((r) => r.includes(reason))),
            30_000,
            200,
          ),
        ).toBe(true);
        expect(host.ready).toBe(false);
        expect(await eventually(() => Promise.resolve(log.join('').includes(reason)), 10_000, 200)).toBe(
          true,
        );
        await new Promise((resolve) => setTimeout(resolve, 3000));
        // Nothing consumed: the group has committed nothing, the backlog waits for a data source.
        expect(await committed(topic)).toBe('-1');

        await folder.write('b-fixed.json', config({}));
        expect(
          await eventually(async () => (await viewRows(database.db, domain, 'forms')).length === 3, 60_000),
        ).toBe(true);
        expect(await eventually(async () => (await committed(topic)) === '3', 30_000)).toBe(true);
        expect(await eventually(() => Promise.resolve(host.ready), 30_000, 200)).toBe(true);
      } finally {
        await host.stop();
      }
    },
  );
});
