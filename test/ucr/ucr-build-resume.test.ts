/**
 * A build that stops half way (the worker shuts down) is resumed by the next worker from the
 * progress the first one committed, not started again: the view lifecycle's build progress.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../cli/registry.js';
import { PipelineHost } from '../../cli/pipeline-host.js';
import type { Logger } from '../../runtime/contract/index.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, planOf, testDatabase } from '../support/pipeline-fixtures.js';
import { caseEvent, configFolder, dropDomain, storeEvents, ucrPipeline, viewRows } from './ucr-fixtures.js';
import { ucrCatalogTable } from '../../connectors/ucr/ucr-catalog.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const database = await testDatabase();
const folder = await configFolder();
const documents = 1_500;

afterAll(async () => {
  await dropDomain(database.db, domain);
  await database.close();
  await folder.cleanup();
});

/** A logger that keeps what it was told. */
function capturing(lines: { fields: Record<string, unknown>; message: string }[]): Logger {
  const log = (fields: object, message: string) =>
    void lines.push({ fields: fields as Record<string, unknown>, message });
  const logger: Logger = { debug: () => undefined, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

const building = () =>
  database.db.oneOrNone<{ progress: { documents: number; position: string } | null }>(
    `SELECT progress FROM ${ucrCatalogTable} WHERE domain = $1 AND state = 'building'`,
    [domain],
  );

describe('UCR build progress', () => {
  it(
    'resumes a build a stopped worker left half done from its last committed position',
    { timeout: 120_000 },
    async () => {
      const cases = Array.from({ length: documents }, (_, i) =>
        caseEvent(domain, `${domain}-c${String(i).padStart(5, '0')}`, 1, {
          properties: { size: String(i % 7) },
        }),
      );
      await storeEvents(database.db, [], cases);
      await folder.write('sizes.json', {
        domain,
        table_id: 'sizes',
        referenced_doc_type: 'CommCareCase',
        configured_indicators: [
          {
            type: 'expression',
            column_id: 'size',
            datatype: 'integer',
            expression: { type: 'property_name', property_name: 'size' },
          },
        ],
      });
      const topic = names.topic('cases');
      await createTopic(topic, 1);
      const yaml = ucrPipeline(names.id, [topic], folder.path, { backfillChunkDocs: 25 });

      const first = new PipelineHost(capturing([]), { defaultMetrics: false });
      await first.start([planOf(yaml, registry, process.env)]);
      const halfway = await eventually(
        async () => ((await building())?.progress?.documents ?? 0) >= 100,
        60_000,
        20,
      );
      await first.stop();
      expect(halfway).toBe(true);
      const left = (await building())!.progress!;
      expect(left.documents).toBeGreaterThanOrEqual(100);
      expect(left.documents).toBeLessThan(documents);

      const lines: { fields: Record<string, unknown>; message: string }[] = [];
      const second = new PipelineHost(capturing(lines), { defaultMetrics: false });
      await second.start([planOf(yaml, registry, process.env)]);
      try {
        const built = await eventually(
          async () => (await viewRows(database.db, domain, 'sizes')).length === documents,
          60_000,
        );
        expect(built).toBe(true);
        const done = lines.find((line) => line.message === 'Built a UCR table and swapped it in.');
        // The second worker read only what the first had not committed.
        expect(done?.fields.documents).toBe(documents - left.documents);
        const rows = await viewRows(database.db, domain, 'sizes');
        expect(rows.map((row) => row.size)).toEqual(cases.map((_, i) => i % 7));
      } finally {
        await second.stop();
      }
    },
  );
});
