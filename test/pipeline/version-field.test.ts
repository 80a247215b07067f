import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../cli/registry.js';
import { listDeadLetters } from '../../connectors/postgres/postgres-dead-letters.js';
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
const database = await testDatabase();

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

const pipeline = (label: string, topic: string, versions: string) =>
  planOf(
    `
name: ${names.id}-${label}
source: { type: kafka, topics: ["${topic}"], partitions: 1, compact: false }
sinks:
  table: { type: postgres, table: ${names.pgSchema()}.${label}, key: [doc_id], ${versions}, createTable: true }
`,
    registry,
  );

const json = (key: string, value: object) => ({ key, value: JSON.stringify(value) });

describe('a table that takes its versions from a field', () => {
  it(
    'dead-letters a record without an integer version there, and the later versions of its key still win',
    { timeout: 90_000 },
    async () => {
      const topic = names.topic('field');
      await createTopic(topic, 1);
      // Ten other documents first, so that offsets (10 onwards) are larger than the real versions.
      await produce(topic, [
        ...Array.from({ length: 10 }, (_, i) => json(`other-${i}`, { id: `other-${i}`, version: 1 })),
        json('doc-1', { id: 'doc-1', version: 1 }),
        json('doc-1', { id: 'doc-1', note: 'no version here' }),
        json('doc-1', { id: 'doc-1', version: 2 }),
        json('doc-2', { id: 'doc-2', version: 'two' }),
      ]);
      const plan = pipeline('field', topic, 'versionField: version');
      const host = await startPipelines([plan]);
      try {
        const table = `${names.pgSchema()}.field`;
        expect(
          await eventually(async () => (await tableVersions(database.db, table)).size === 11, 30_000),
        ).toBe(true);
        const letters = async () => listDeadLetters(database.db, { pipeline: plan.name });
        expect(await eventually(async () => (await letters()).length === 2, 30_000)).toBe(true);
        expect((await tableVersions(database.db, table)).get('doc-1')).toBe(2n);
        expect((await tableVersions(database.db, table)).has('doc-2')).toBe(false);
        expect((await letters()).map((l) => [l.record_key?.toString(), l.stage, l.reason])).toEqual([
          ['doc-1', 'sink:table', 'missing-version'],
          ['doc-2', 'sink:table', 'missing-version'],
        ]);
        expect((await letters())[0]!.message).toMatch(/no version in field 'version'/);
      } finally {
        await host.stop();
      }
    },
  );

  it(
    'takes the source offset as the version only when told to (versionFrom: offset)',
    { timeout: 90_000 },
    async () => {
      const topic = names.topic('offset');
      await createTopic(topic, 1);
      await produce(topic, [json('doc-a', { n: 1 }), json('doc-b', { n: 1 }), json('doc-a', { n: 2 })]);
      const host = await startPipelines([pipeline('offsets', topic, 'versionFrom: offset')]);
      try {
        const table = `${names.pgSchema()}.offsets`;
        expect(
          await eventually(async () => {
            const versions = await tableVersions(database.db, table);
            return versions.get('doc-a') === 2n && versions.get('doc-b') === 1n;
          }, 30_000),
        ).toBe(true);
      } finally {
        await host.stop();
      }
    },
  );
});
