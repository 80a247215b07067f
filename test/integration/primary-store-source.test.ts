import { afterAll, describe, expect, it } from 'vitest';
import { PrimaryStoreSource } from '../../connectors/postgres/primary-store-source.js';
import type { SourceHandler, SourceRecord } from '../../runtime/contract/index.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';
import { caseEvent, dropDomain, storeEvents } from '../ucr/ucr-fixtures.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const database = await testDatabase();
const ids = Array.from({ length: 7 }, (_, i) => `${domain}-c${i}`);
await storeEvents(
  database.db,
  [],
  ids.map((id, i) => caseEvent(domain, id, 1, { case_type: i % 2 ? 'household' : 'member' })),
);

afterAll(async () => {
  await dropDomain(database.db, domain);
  await database.close();
});

/** Runs the source to its end, committing each batch; what it delivered. */
async function drain(source: PrimaryStoreSource) {
  const records: SourceRecord[] = [];
  const handler: SourceHandler = {
    onAssigned: () => Promise.resolve(),
    onRevoked: () => Promise.resolve(),
    onBatch: async (lane, batch, next) => {
      records.push(...batch);
      await source.commit(lane, next);
    },
  };
  await source.start(handler);
  await source.drained();
  return { records };
}

describe('primary store source', () => {
  it("delivers the domain's documents in id order as their change events, reporting progress as batches commit", async () => {
    const commits: [number, string][] = [];
    const source = new PrimaryStoreSource({
      db: database.db,
      documents: 'cases',
      domain,
      pageSize: 3,
      lane: 'build:test',
      onCommit: (documents, position) => Promise.resolve(void commits.push([documents, position])),
    });
    const { records } = await drain(source);
    expect(records.map((r) => r.key)).toEqual(ids);
    expect(records[0]).toMatchObject({
      value: { doc_id: ids[0], domain },
      position: { lane: 'build:test', offset: ids[0] },
    });
    expect(commits).toEqual([
      [3, ids[2]],
      [6, ids[5]],
      [7, ids[6]],
    ]);
  });

  it('resumes after the position an earlier run committed, counting on from its documents', async () => {
    const commits: [number, string][] = [];
    const source = new PrimaryStoreSource({
      db: database.db,
      documents: 'cases',
      domain,
      pageSize: 3,
      lane: 'build:test',
      resumeFrom: { position: ids[2]!, documents: 3 },
      onCommit: (documents, position) => Promise.resolve(void commits.push([documents, position])),
    });
    const { records } = await drain(source);
    expect(records.map((r) => r.key)).toEqual(ids.slice(3));
    expect(commits.at(-1)).toEqual([7, ids[6]]);
  });

  it('reads only the case types given, and stops early once cancelled', async () => {
    const filtered = await drain(
      new PrimaryStoreSource({
        db: database.db,
        documents: 'cases',
        domain,
        subtypes: ['household'],
        pageSize: 2,
        lane: 'l',
      }),
    );
    expect(filtered.records.map((r) => r.key)).toEqual(ids.filter((_, i) => i % 2));
    let pages = 0;
    const cancelled = await drain(
      new PrimaryStoreSource({
        db: database.db,
        documents: 'cases',
        domain,
        pageSize: 2,
        lane: 'l',
        cancelled: () => Promise.resolve(pages++ >= 1),
      }),
    );
    expect(cancelled.records.map((r) => r.key)).toEqual(ids.slice(0, 2));
  });
});
