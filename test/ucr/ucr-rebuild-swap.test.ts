import { afterAll, describe, expect, it } from 'vitest';
import { changeEventOf } from '../../commcare/ucr/change-event-doc.js';
import { eventToDoc } from '../../commcare/ucr/event-to-doc.js';
import type { UcrRow } from '../../commcare/ucr/contract.js';
import type { Case } from '../../schemas/generated/index.js';
import { ucrQualified, ucrViewName } from '../../commcare/ucr/ucr-table-names.js';
import { testNames } from '../support/resources.js';
import { createTopic, eventually, testDatabase } from '../support/pipeline-fixtures.js';
import { compileDataSource } from '../../commcare/ucr/compile-data-source.js';
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

const indicator = (column: string, property: string, extra: object = {}) => ({
  type: 'expression',
  column_id: column,
  datatype: 'string',
  expression: { type: 'property_name', property_name: property },
  ...extra,
});

const patientsV1 = {
  domain,
  table_id: 'patients',
  referenced_doc_type: 'CommCareCase',
  configured_filter: {
    type: 'boolean_expression',
    operator: 'eq',
    expression: { type: 'property_name', property_name: 'type' },
    property_value: 'patient',
  },
  configured_indicators: [indicator('village', 'village')],
};
// The village column now reads another property: every row changes, so a rebuild is needed.
const patientsV2 = {
  ...patientsV1,
  configured_indicators: [indicator('village', 'district'), indicator('owner', 'owner_id')],
};
// Only a nullable column and an index added: migrated in place.
const patientsV3 = {
  ...patientsV2,
  configured_indicators: [
    ...patientsV2.configured_indicators,
    indicator('name', 'name', { create_index: true }),
  ],
};

// The second test has a domain of its own: a data source reads every case of its domain.
const domain2 = `${domain}-b`;
const domain3 = `${domain}-c`;

afterAll(async () => {
  await dropDomain(database.db, domain);
  await dropDomain(database.db, domain2);
  await dropDomain(database.db, domain3);
  await database.close();
  await folder.cleanup();
});

/** The latest event of every case, as the primary store holds it. */
const latest = new Map<string, Case>();
let version = 0;

function patient(i: number, inDomain = domain): Case {
  version++;
  // Ids are global in the primary store: unique per run.
  const id = `${inDomain}-p${String(i).padStart(4, '0')}`;
  return caseEvent(inDomain, id, version, {
    properties: { village: `v${i % 7}-${version}`, district: `d${i % 5}-${version}` },
  });
}

/** Saves to the primary store first, then publishes, as the receiver does. */
async function change(topic: string, events: Case[]): Promise<void> {
  await storeEvents(database.db, [], events);
  for (const e of events) latest.set(e.doc_id, e);
  await produceCases(topic, events);
}

/** What a fresh build of `config` gives for the latest version of every case. */
function freshBuild(
  config: unknown,
  include: (id: string) => boolean = () => true,
): Record<string, unknown>[] {
  const ds = compileDataSource(config);
  const rows: UcrRow[] = [];
  for (const event of latest.values()) {
    if (!include(event.doc_id)) continue;
    const result = ds.evaluate(eventToDoc(changeEventOf(event)!), { get: () => undefined });
    if (result.status === 'rows') rows.push(...result.rows);
  }
  return rows.map((row) => ({ ...row })).sort((a, b) => (String(a.doc_id) < String(b.doc_id) ? -1 : 1));
}

/**
 * Cases arrive the whole time; the definition changes; a reader polls the view. With `workers`
 * hosts of the same pipeline, the one that takes the build lock builds while the others write live
 * changes to both tables.
 */
async function definitionChangeScenario(inDomain: string, workers: number): Promise<void> {
  const file = `patients-${workers}.json`;
  const v1 = { ...patientsV1, domain: inDomain };
  const v2 = { ...patientsV2, domain: inDomain };
  await Promise.all([...folder.written].filter((name) => name !== file).map((name) => folder.remove(name)));
  const topic = names.topic(`cases-${workers}`);
  await createTopic(topic, workers);
  await change(
    topic,
    Array.from({ length: 300 }, (_, i) => patient(i, inDomain)),
  );
  await folder.write(file, v1);
  const yaml = ucrPipeline(`${names.id}-w${workers}`, [topic], folder.path, {
    graceMs: 2000,
    buildStartDelayMs: 1000,
  });
  // Each host is one worker of the pipeline (one consumer group, one catalog owner).
  const hosts = await Promise.all(Array.from({ length: workers }, () => startUcrPipelines([yaml])));
  const view = ucrQualified(ucrViewName(inDomain, 'patients'));
  let stop = false;
  try {
    expect(
      await eventually(
        async () => (await viewRows(database.db, inDomain, 'patients')).length === 300,
        60_000,
      ),
    ).toBe(true);

    // A reader polls the view the whole time: the count may only grow.
    const seen: number[] = [];
    const reader = (async () => {
      while (!stop) {
        const { count } = await database.db.one<{ count: bigint }>(
          `SELECT count(*)::bigint AS count FROM ${view}`,
        );
        seen.push(Number(count));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    // A writer keeps updating cases and opening new ones.
    let next = 300;
    const writer = (async () => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, (_, i) =>
          patient(i % 3 === 0 ? next++ : (next * 7 + i) % 300, inDomain),
        );
        await change(topic, batch);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = await catalogOf(database.db, inDomain);
    await folder.write(file, v2);
    const v2Hash = compileDataSource(v2).definitionHash;
    const swapped = await eventually(async () => {
      const rows = await catalogOf(database.db, inDomain);
      return rows.some((r) => r.state === 'live' && r.definition_hash === v2Hash);
    }, 60_000);
    expect(swapped).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop = true;
    await Promise.all([reader, writer]);

    // Never a dip: every read saw at least as many rows as the one before.
    expect(seen.length).toBeGreaterThan(10);
    const dips = seen.flatMap((n, i) =>
      i > 0 && n < seen[i - 1]! ? [`${seen[i - 1]} → ${n} at read ${i}`] : [],
    );
    expect(dips).toEqual([]);
    expect(before.map((r) => r.state)).toEqual(['live']);

    // Once the stream is drained, the table equals a fresh build of the new definition.
    const expected = freshBuild(v2);
    const equal = await eventually(
      async () =>
        JSON.stringify(await viewRows(database.db, inDomain, 'patients')) === JSON.stringify(expected),
      60_000,
    );
    expect(await viewRows(database.db, inDomain, 'patients')).toEqual(expected);
    expect(equal).toBe(true);

    // The old table goes after the grace period.
    const dropped = await eventually(async () => {
      const rows = await catalogOf(database.db, inDomain);
      return rows.length === 1 && rows[0]!.state === 'live';
    }, 30_000);
    expect(dropped).toBe(true);
    const oldTable = before[0]!.physical_table;
    const gone = await database.db.one<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
      ucrQualified(oldTable),
    ]);
    expect(gone.t).toBeNull();
  } finally {
    stop = true;
    await Promise.all(hosts.map((host) => host.stop()));
  }
}

describe('UCR definition changes while events keep arriving', () => {
  it(
    'builds the new definition beside the live table and swaps the view atomically: readers never see a partial table',
    { timeout: 180_000 },
    () => definitionChangeScenario(domain, 1),
  );

  it('does the same with two workers of the pipeline sharing the catalog', { timeout: 180_000 }, () =>
    definitionChangeScenario(domain3, 2),
  );

  it(
    'migrates a change that only adds a nullable column and an index in place, and fills the column',
    { timeout: 120_000 },
    async () => {
      const tableId = 'members';
      const v2 = { ...patientsV2, domain: domain2, table_id: tableId };
      const v3 = { ...patientsV3, domain: domain2, table_id: tableId };
      const topic = names.topic('cases-2');
      await createTopic(topic, 1);
      await Promise.all([...folder.written].map((name) => folder.remove(name)));
      await folder.write('members.json', v2);
      const host = await startUcrPipelines([ucrPipeline(`${names.id}-2`, [topic], folder.path)]);
      try {
        await change(
          topic,
          Array.from({ length: 50 }, (_, i) => patient(i, domain2)),
        );
        const tableOf = () => catalogOf(database.db, domain2);
        expect(
          await eventually(async () => (await viewRows(database.db, domain2, tableId)).length === 50, 30_000),
        ).toBe(true);
        const [before] = await tableOf();
        expect(before?.state).toBe('live');

        await folder.write('members.json', v3);
        const compiled = compileDataSource(v3);
        const migrated = await eventually(async () => {
          const rows = await tableOf();
          return (
            rows.length === 1 &&
            rows[0]!.state === 'live' &&
            rows[0]!.definition_hash === compiled.definitionHash
          );
        }, 30_000);
        expect(migrated).toBe(true);
        // The same table (no build, no swap), renamed after its new definition.
        const [after] = await tableOf();
        expect(after!.physical_table).toBe(`${domain2}_members_${compiled.definitionHash.slice(0, 8)}`);
        const index = await database.db.any<{ indexname: string }>(
          `SELECT indexname FROM pg_indexes WHERE schemaname = 'tributary_ucr' AND tablename = $1 AND indexdef LIKE '%(name)%'`,
          [after!.physical_table],
        );
        expect(index).toHaveLength(1);
        // The in-place refresh fills the new column for documents that did not change.
        const expected = freshBuild(v3);
        const filled = await eventually(
          async () =>
            JSON.stringify(await viewRows(database.db, domain2, tableId)) === JSON.stringify(expected),
          30_000,
        );
        expect(await viewRows(database.db, domain2, tableId)).toEqual(expected);
        expect(filled).toBe(true);
      } finally {
        await host.stop();
      }
    },
  );
});
