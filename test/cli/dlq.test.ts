/**
 * `tributary dlq replay|discard|list` on a record that can never succeed (a value that is not
 * JSON): replay says which ids failed again and under which new ids; discard sets them aside,
 * recorded and never deleted; a discarded dead letter is not replayed again. Real broker and
 * database.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tributary } from '../../cli/tributary.js';
import { listDeadLetters } from '../../connectors/postgres/postgres-dead-letters.js';
import { registry } from '../../cli/registry.js';
import { testNames } from '../support/resources.js';
import {
  createTopic,
  eventually,
  planOf,
  produce,
  startPipelines,
  testDatabase,
} from '../support/pipeline-fixtures.js';
import { writePipelineFile } from '../support/worker.js';

const names = testNames(import.meta.url);
const topic = names.topic('docs');
const table = `${names.pgSchema()}.docs`;
const database = await testDatabase();

afterAll(async () => {
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.db.none('DELETE FROM tributary_dead_letters WHERE pipeline = $1', [names.id]);
  await database.close();
});

const yaml = `
name: ${names.id}
source:
  type: kafka
  topics: [${topic}]
  compact: false
  value: { format: json }
sinks:
  table: { type: postgres, table: ${table}, key: [doc_id], versionField: version, createTable: true }
deadLetter: { table: true }
`;
const file = writePipelineFile(yaml);

describe('dead letters that can never succeed', () => {
  it(
    'replay names the ids that failed again, discard records them without deleting, and they are not replayed again',
    { timeout: 120_000 },
    async () => {
      await createTopic(topic, 1);
      await produce(topic, [
        { key: 'good', value: JSON.stringify({ id: 'good', version: 1 }) },
        { key: 'bad', value: 'not json' },
      ]);
      const host = await startPipelines([planOf(yaml, registry)]);
      try {
        expect(
          await eventually(
            async () => (await listDeadLetters(database.db, { pipeline: names.id })).length === 1,
            30_000,
          ),
        ).toBe(true);
      } finally {
        await host.stop();
      }
      const [first] = await listDeadLetters(database.db, { pipeline: names.id });

      // A replay of a record that can never succeed: it fails again, and says so by id.
      const replay = await tributary(['dlq', 'replay', file]);
      expect(replay.code).toBe(1);
      const again = await listDeadLetters(database.db, { pipeline: names.id, pendingOnly: true });
      expect(again).toHaveLength(1);
      const second = again[0]!;
      expect(second.id).not.toBe(first!.id);
      expect(replay.out).toContain(`Replayed 1 dead letter(s) of ${names.id}: 0 went through.`);
      expect(replay.out).toContain(`  ${first!.id} → dead letter ${second.id} (decode: `);
      expect(replay.out).toContain(`tributary dlq discard ${file} --ids ${second.id} --reason`);

      // Discard it: recorded with who, when and why; the row stays.
      const discard = await tributary(
        ['dlq', 'discard', file, '--ids', String(second.id), '--reason', 'a test producer wrote text'],
        {},
      );
      expect({ code: discard.code, err: discard.err }).toEqual({ code: 0, err: '' });
      expect(discard.out).toMatch(
        new RegExp(
          `^Discarded 1 dead letter\\(s\\) of ${names.id} \\(${second.id}\\) as \\S+: a test producer wrote text$`,
        ),
      );
      const [stored] = await listDeadLetters(database.db, { pipeline: names.id, ids: [second.id] });
      expect(stored).toMatchObject({ discard_reason: 'a test producer wrote text', replayed_at: null });
      expect(stored!.discarded_at).toBeInstanceOf(Date);
      expect(stored!.discarded_by).toBeTruthy();

      // Nothing is pending any more: a replay does nothing and adds nothing.
      const idle = await tributary(['dlq', 'replay', file]);
      expect({ code: idle.code, out: idle.out }).toEqual({ code: 0, out: 'Nothing to replay.' });
      expect(await listDeadLetters(database.db, { pipeline: names.id })).toHaveLength(2);

      const listed = await tributary(['dlq', 'list', '--pipeline', names.id]);
      expect(listed.out).toMatch(new RegExp(`^${second.id}\\s.*\\sdiscarded\\s`, 'm'));
      expect(listed.out).toMatch(new RegExp(`^${first!.id}\\s.*\\sreplayed\\s`, 'm'));

      // Discarding what is not a pending dead letter of the pipeline is refused, naming the ids.
      const refused = await tributary([
        'dlq',
        'discard',
        file,
        '--ids',
        `${second.id},999999999`,
        '--reason',
        'x',
      ]);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(`(already replayed, discarded, or unknown): ${second.id}, 999999999.`);
      expect((await tributary(['dlq', 'discard', file, '--reason', 'x'])).code).toBe(2);
      expect((await tributary(['dlq', 'discard', file, '--ids', 'seven', '--reason', 'x'])).err).toContain(
        "--ids expects dead-letter ids separated by commas (1,2,3), got 'seven'",
      );
    },
  );
});
