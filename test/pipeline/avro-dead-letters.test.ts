import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../cli/registry.js';
import { createAvroSerde } from '../../connectors/kafka/avro-serde.js';
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { listDeadLetters } from '../../connectors/postgres/postgres-dead-letters.js';
import { demoCases } from '../../cli/demo-cases.js';
import { caseSchema } from '../../schemas/generated/index.js';
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

const names = testNames(import.meta.url);
const topic = names.topic('cases');
const table = `${names.pgSchema()}.cases`;
const database = await testDatabase();

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

describe('Avro records that cannot be read', () => {
  it(
    'dead-letters a corrupt payload, an unknown schema id and plain JSON with their reasons, and processes the rest',
    { timeout: 90_000 },
    async () => {
      await createTopic(topic, 2);
      const serde = createAvroSerde(
        { subject: `${topic}-value`, schema: caseSchema },
        new SchemaRegistryClient({ url: readEndpoints().SCHEMA_REGISTRY_URL }),
      );
      const cases = demoCases(10).filter((c) => c.version === 1);
      const good = await Promise.all(
        cases.map(async (c) => ({ key: c.doc_id, value: await serde.encode(c) })),
      );
      const valid = good[0]!.value;
      const corrupt = Buffer.concat([
        valid.subarray(0, 5),
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      ]);
      const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), valid.subarray(5)]);
      await produce(topic, [
        ...good.slice(0, 5),
        { key: 'corrupt', value: corrupt },
        { key: 'unknown-id', value: unknownId },
        { key: 'plain-json', value: JSON.stringify(cases[0]) },
        ...good.slice(5),
      ]);

      const host = await startPipelines([
        planOf(
          `
name: ${names.id}
source: { type: kafka, topics: ["${topic}"], partitions: 2, value: { format: avro, schemaOf: cases } }
sinks:
  cases: { type: postgres, table: ${table}, key: [case_id], versionField: version, createTable: true }
`,
          registry,
          {},
        ),
      ]);
      try {
        expect(
          await eventually(
            async () => (await tableVersions(database.db, table, 'case_id')).size === 10,
            30_000,
          ),
        ).toBe(true);
        expect(
          await eventually(
            async () => (await listDeadLetters(database.db, { pipeline: names.id })).length === 3,
            10_000,
          ),
        ).toBe(true);
      } finally {
        await host.stop();
      }
      const letters = await listDeadLetters(database.db, { pipeline: names.id });
      expect(letters.map((l) => [l.record_key?.toString(), l.stage, l.reason]).sort()).toEqual([
        ['corrupt', 'decode', 'avro-decode'],
        ['plain-json', 'decode', 'not-wire-format'],
        ['unknown-id', 'decode', 'unknown-schema-id'],
      ]);
      const row = await database.db.one<{ name: string; properties: unknown }>(
        `SELECT doc->>'name' AS name, doc->'properties' AS properties FROM ${table} WHERE case_id = $1`,
        [cases[1]!.doc_id],
      );
      expect(row).toEqual({ name: cases[1]!.name, properties: cases[1]!.properties });
    },
  );
});
