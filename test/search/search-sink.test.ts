import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexNames } from '../../commcare/search/index.js';
import { readIndexDefinitions } from '../../connectors/search/search-mapping-folder.js';
import type { SearchSink } from '../../connectors/search/search-sink.js';
import { BadRecordError } from '../../runtime/contract/index.js';
import type { ResourcePool } from '../../runtime/engine/resources.js';
import { testNames } from '../support/resources.js';
import { doc, dropIndices, liveDocs, startSearchSink } from './search-fixtures.js';

const prefix = `${testNames(import.meta.url).id}_`;
let sink: SearchSink;
let resources: ResourcePool;
let groupsPhysical: string;

const group = (name: string, version: number) => ({
  doc_id: 'x',
  domain: 'd1',
  name,
  case_sharing: false,
  version,
});

beforeAll(async () => {
  ({ sink, resources } = await startSearchSink({ indexPrefix: prefix, indices: ['groups', 'forms'] }));
  const definitions = await readIndexDefinitions('pipelines/search');
  groupsPhysical = indexNames(definitions.get('groups')!, prefix).physical;
});

afterAll(async () => {
  await resources.close();
  await dropIndices(prefix);
});

describe('the search sink', () => {
  it('creates each index under its hash behind its alias, with a write alias', async () => {
    expect(await sink.engine.aliasTargets(`${prefix}groups`)).toEqual([groupsPhysical]);
    expect(await sink.engine.aliasTargets(`${groupsPhysical}.write`)).toEqual([groupsPhysical]);
    expect(await sink.engine.aliasTargets(`${prefix}cases`)).toEqual([]);
  });

  it('keeps the newest version whatever order versions arrive in, and counts a stale one as done', async () => {
    expect(
      await sink.write([doc('groups', 'g1', 3, group('three', 3)), doc('groups', 'g1', 1, group('one', 1))]),
    ).toEqual({
      failed: [],
    });
    expect(await sink.write([doc('groups', 'g1', 2, group('two', 2))])).toEqual({ failed: [] });
    expect((await liveDocs(sink.engine, `${prefix}groups`)).get('g1')).toMatchObject({ name: 'three' });
  });

  it('deletes with a tombstone that hides the document and refuses older versions', async () => {
    await sink.write([doc('groups', 'g2', 1, group('a', 1)), doc('groups', 'g2', 2, null)]);
    expect((await liveDocs(sink.engine, `${prefix}groups`)).has('g2')).toBe(false);
    expect(await sink.write([doc('groups', 'g2', 1, group('replayed', 1))])).toEqual({ failed: [] });
    expect((await liveDocs(sink.engine, `${prefix}groups`)).has('g2')).toBe(false);
    await sink.write([doc('groups', 'g2', 3, group('restored', 3))]);
    expect((await liveDocs(sink.engine, `${prefix}groups`)).get('g2')).toMatchObject({ name: 'restored' });
  });

  it('keeps a deleted document deleted when an older version is replayed after the gc_deletes window', async () => {
    // The window is shortened from 60 s to 1 s: the same mechanism, a faster test.
    await sink.engine.putSettings(groupsPhysical, { gc_deletes: '1s' });
    // Control: a real delete by external version is forgotten after the window, and the replay wins.
    const writer = `${groupsPhysical}.write`;
    const bulk = (lines: object[]) =>
      sink.engine.bulk(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`, 10_000);
    await bulk([
      { index: { _index: writer, _id: 'control', version: 1, version_type: 'external' } },
      group('c', 1),
    ]);
    await bulk([{ delete: { _index: writer, _id: 'control', version: 2, version_type: 'external' } }]);
    // The sink's delete of g3, a tombstone at version 2.
    await sink.write([doc('groups', 'g3', 1, group('g3', 1)), doc('groups', 'g3', 2, null)]);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // A refresh prunes the engine's memory of deletes older than the window.
    await sink.engine.refresh(groupsPhysical);
    await bulk([
      { index: { _index: writer, _id: 'control', version: 1, version_type: 'external' } },
      group('back', 1),
    ]);
    expect(await sink.write([doc('groups', 'g3', 1, group('back', 1))])).toEqual({ failed: [] });
    const live = await liveDocs(sink.engine, `${prefix}groups`);
    expect(live.get('control')).toMatchObject({ name: 'back' });
    expect(live.has('g3')).toBe(false);
  }, 30_000);

  it('makes a document the engine refuses for its content that record’s failure, and writes the others', async () => {
    const result = await sink.write([
      doc('forms', 'f1', 1, { doc_id: 'f1', domain: 'd1', received_on: 'not a date' }),
      doc('forms', 'f2', 1, { doc_id: 'f2', domain: 'd1', received_on: '2026-01-01T00:00:00.000000Z' }),
    ]);
    expect(result.failed.map((f) => f.index)).toEqual([0]);
    expect(result.failed[0]!.error).toBeInstanceOf(BadRecordError);
    expect(result.failed[0]!.error.message).toMatch(
      /document f1 refused by the search engine: 400 (mapper_parsing|document_parsing)_exception/,
    );
    expect([...(await liveDocs(sink.engine, `${prefix}forms`)).keys()]).toEqual(['f2']);
  });

  it('refuses records without an id, a version or a known index', async () => {
    const result = await sink.write([
      { ...doc('groups', 'g9', 1, group('x', 1)), key: null },
      { ...doc('groups', 'g9', 1, group('x', 1)), routing: { target: 'groups' } },
      doc('users', 'u1', 1, {}),
    ]);
    expect(result.failed.map((f) => [f.index, (f.error as BadRecordError).reason])).toEqual([
      [0, 'search-no-id'],
      [1, 'search-no-version'],
      [2, 'search-unknown-index'],
    ]);
  });

  it('splits batches into requests by count and bytes and sends them all', async () => {
    const { sink: small, resources: own } = await startSearchSink({
      indexPrefix: prefix,
      indices: ['groups'],
      maxBulkActions: 7,
      maxBulkBytes: 2_000,
      maxInFlight: 2,
    });
    try {
      const records = Array.from({ length: 100 }, (_, i) =>
        doc('groups', `bulk-${i}`, 1, group(`n${i}`.repeat(20), 1)),
      );
      const bodies: string[] = [];
      const send = small.engine.bulk.bind(small.engine);
      small.engine.bulk = (body, timeoutMs) => (bodies.push(body), send(body, timeoutMs));
      expect(await small.write(records)).toEqual({ failed: [] });
      expect(bodies.length).toBeGreaterThanOrEqual(15);
      expect(Math.max(...bodies.map((b) => b.trim().split('\n').length / 2))).toBeLessThanOrEqual(7);
      expect(Math.max(...bodies.map((b) => Buffer.byteLength(b)))).toBeLessThanOrEqual(2_000);
      const live = await liveDocs(small.engine, `${prefix}groups`);
      expect(records.every((r) => live.has(r.key!))).toBe(true);
    } finally {
      await own.close();
    }
  });
});
