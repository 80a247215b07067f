import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ucrCatalogTable, ucrProblemsTable } from '../../connectors/ucr/ucr-catalog.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, testDatabase } from '../support/pipeline-fixtures.js';
import {
  configFolder,
  dropDomain,
  formEvent,
  produceForms,
  startUcrPipelines,
  ucrPipeline,
  viewRows,
  xmlnsDataSource,
} from './ucr-fixtures.js';

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

describe('UCR configurations that cannot be used', () => {
  it(
    'refuses SQL-looking ids and broken files, reports them, keeps processing the valid ones, and drops one whose file goes',
    { timeout: 90_000 },
    async () => {
      const topic = names.topic('forms');
      await createTopic(topic, 1);
      await folder.write(
        'a-table-injection.json',
        config({ table_id: 'x"; DROP TABLE tributary_ucr.data_sources; --' }),
      );
      await folder.write(
        'b-domain-injection.json',
        config({ domain: `${domain}'; DROP SCHEMA tributary_ucr CASCADE; --` }),
      );
      await folder.write('c-unknown-doc-type.json', config({ table_id: 'odd', referenced_doc_type: 'Nope' }));
      await folder.write('d-good.json', config({}));
      await writeFile(join(folder.path, 'e-broken.json'), '{ not json');

      const host = await startUcrPipelines([ucrPipeline(names.id, [topic], folder.path)]);
      try {
        await produceForms(topic, [formEvent(domain, `${domain}-f1`, 1)]);
        expect(
          await eventually(async () => (await viewRows(database.db, domain, 'forms')).length === 1, 30_000),
        ).toBe(true);
        const problems = await database.db.any<{ origin: string; error: string }>(
          `SELECT origin, error FROM ${ucrProblemsTable} WHERE owner = $1 ORDER BY origin`,
          [names.id],
        );
        expect(problems.map((p) => p.origin)).toEqual([
          'file:a-table-injection.json',
          'file:b-domain-injection.json',
          'file:c-unknown-doc-type.json',
          'file:e-broken.json',
        ]);
        expect(problems[0]!.error).toMatch(/table_id .* is not allowed/);
        expect(problems[1]!.error).toMatch(/domain .* is not allowed/);
        expect(problems[3]!.error).toMatch(/not JSON/);
        // Only the valid data source has a table; the catalog is intact.
        const catalog = await database.db.any<{ table_id: string }>(
          `SELECT table_id FROM ${ucrCatalogTable} WHERE domain LIKE $1`,
          [`${domain}%`],
        );
        expect(catalog.map((c) => c.table_id)).toEqual(['forms']);
        const injected = await database.db.one<{ n: number; catalog: string | null }>(
          `SELECT (SELECT count(*)::int FROM pg_class WHERE relname ILIKE '%drop%' AND relnamespace = 'tributary_ucr'::regnamespace) AS n,
                  to_regclass('tributary_ucr.data_sources')::text AS catalog`,
        );
        expect(injected).toEqual({ n: 0, catalog: 'tributary_ucr.data_sources' });
        expect(host.healthy).toBe(true);

        // Removing the file stops the data source; its table and view go after the grace period.
        await folder.remove('d-good.json');
        const gone = await eventually(
          async () =>
            (await database.db.any(`SELECT 1 FROM ${ucrCatalogTable} WHERE domain = $1`, [domain])).length ===
            0,
          30_000,
        );
        expect(gone).toBe(true);
        expect(await viewRows(database.db, domain, 'forms')).toEqual([]);
      } finally {
        await host.stop();
      }
    },
  );
});
