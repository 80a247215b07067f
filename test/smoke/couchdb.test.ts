import nano from 'nano';
import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';

const dbName = testNames(import.meta.url).couchDb('users');
const couch = nano(readEndpoints().COUCHDB_URL);

afterAll(async () => {
  await couch.db.destroy(dbName).catch(() => undefined);
});

describe('CouchDB API', () => {
  it('reports every change of a document on _changes, latest revision with its body', async () => {
    await couch.db.create(dbName);
    const db = couch.use<{ username: string; domain: string; is_active?: boolean }>(dbName);
    const created = await db.insert({ _id: 'user-1', username: 'ada', domain: 'demo' });
    await db.insert({ _id: 'user-1', _rev: created.rev, username: 'ada', domain: 'demo', is_active: false });
    await db.insert({ _id: 'user-2', username: 'bo', domain: 'demo' });

    const changes = await db.changes({ since: '0', include_docs: true });
    expect(changes.results.map((c) => c.id)).toEqual(['user-1', 'user-2']);
    expect((changes.results[0] as { doc?: unknown }).doc).toMatchObject({
      username: 'ada',
      is_active: false,
    });
    expect(changes.results[0]!.changes[0]!.rev).toMatch(/^2-/);

    // Resuming from the last sequence sees only what came after it.
    await db.insert({ _id: 'user-3', username: 'cy', domain: 'demo' });
    const since = await db.changes({ since: String(changes.last_seq) });
    expect(since.results.map((c) => c.id)).toEqual(['user-3']);
  });

  it('refuses a write based on a stale revision', async () => {
    const db = couch.use<{ username: string; note?: string }>(dbName);
    const current = await db.get('user-2');
    await db.insert({ ...current, note: 'first' });
    await expect(db.insert({ ...current, note: 'second' })).rejects.toMatchObject({ statusCode: 409 });
  });
});
