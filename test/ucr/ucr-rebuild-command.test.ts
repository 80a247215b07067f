import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ucrStatus } from '../../cli/commands/rebuild.js';
import { tributary } from '../../cli/tributary.js';
import { ucrQualified, ucrViewName } from '../../commcare/ucr/ucr-table-names.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, testDatabase } from '../support/pipeline-fixtures.js';
import {
  caseEvent,
  catalogOf,
  configFolder,
  dropDomain,
  produceCases,
  startUcrPipelines,
  storeEvents,
  ucrPipeline,
  viewRows,
} from './ucr-fixtures.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const database = await testDatabase();
const folder = await configFolder();

const households = {
  domain,
  table_id: 'households',
  referenced_doc_type: 'CommCareCase',
  configured_indicators: [
    {
      type: 'expression',
      column_id: 'size',
      datatype: 'integer',
      expression: { type: 'property_name', property_name: 'size' },
    },
  ],
};

afterAll(async () => {
  await dropDomain(database.db, domain);
  await database.close();
  await folder.cleanup();
});

describe('tributary rebuild', () => {
  it(
    'rebuilds a live data source beside its table while the pipeline runs and swaps it in; status shows it',
    { timeout: 120_000 },
    async () => {
      const topic = names.topic('cases');
      await createTopic(topic, 1);
      const events = Array.from({ length: 120 }, (_, i) =>
        caseEvent(domain, `${domain}-h${i}`, 1, {
          case_type: 'household',
          properties: { size: String(i % 9) },
        }),
      );
      await storeEvents(database.db, [], events);
      await produceCases(topic, events);
      await folder.write('households.json', households);
      const yaml = ucrPipeline(names.id, [topic], folder.path, { buildStartDelayMs: 500 });
      const pipelineFile = join(folder.path, 'pipeline.yaml');
      await writeFile(pipelineFile, yaml);
      const host = await startUcrPipelines([yaml]);
      const view = ucrQualified(ucrViewName(domain, 'households'));
      try {
        expect(
          await eventually(
            async () => (await viewRows(database.db, domain, 'households')).length === 120,
            30_000,
          ),
        ).toBe(true);
        const before = await viewRows(database.db, domain, 'households');
        const [live] = await catalogOf(database.db, domain);

        let stop = false;
        const counts: number[] = [];
        const reader = (async () => {
          while (!stop) {
            const { count } = await database.db.one<{ count: bigint }>(
              `SELECT count(*)::bigint AS count FROM ${view}`,
            );
            counts.push(Number(count));
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        })();
        const { code, out, err } = await tributary(['rebuild', pipelineFile, `${domain}/households`]);
        const output = [out, err];
        stop = true;
        await reader;
        expect(output.join('\n')).toContain('swapped it in');
        expect(code).toBe(0);
        expect(counts.length).toBeGreaterThan(5);
        expect(counts.every((n) => n === 120)).toBe(true);
        expect(await viewRows(database.db, domain, 'households')).toEqual(before);

        // The rebuilt table took the canonical name; the old one stepped aside, retired.
        const status = await ucrStatus(database.db);
        const mine = status.tables.filter((t) => t.domain === domain);
        expect(mine.map((t) => [t.state, t.physicalTable === live!.physical_table])).toEqual(
          expect.arrayContaining([
            ['live', true],
            ['retired', false],
          ]),
        );
        const rebuilt = mine.find((t) => t.state === 'live')!;
        expect(rebuilt.swappedAt!.getTime()).toBeGreaterThan(live!.physical_table ? 0 : 1);
        expect(rebuilt.rows).toBe(120);

        // A live table dropped by hand is built again from the primary store.
        await database.db.none(`DROP TABLE ${ucrQualified(rebuilt.physicalTable)} CASCADE`);
        const healed = await eventually(
          async () =>
            JSON.stringify(await viewRows(database.db, domain, 'households')) === JSON.stringify(before),
          30_000,
        );
        expect(healed).toBe(true);
      } finally {
        await host.stop();
      }
    },
  );
});
