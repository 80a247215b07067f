import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchIndexNames } from './documents/search-actions.js';
import { indexDefinitionOf, indexNames } from './index-definition.js';

const folder = join(import.meta.dirname, '../../pipelines/search');
const file = (name: string) => JSON.parse(readFileSync(join(folder, name), 'utf8')) as unknown;

describe('index definitions', () => {
  it('ships one valid mapping file per index, each with the tombstone flag and doc_id', () => {
    const files = readdirSync(folder).filter((f) => f.endsWith('.json'));
    const definitions = files.map((f) => indexDefinitionOf(file(f), f));
    expect(definitions.map((d) => d.index).sort()).toEqual([...searchIndexNames].sort());
    for (const d of definitions) {
      const properties = d.mappings.properties as Record<string, unknown>;
      expect(properties.__is_tombstone__).toEqual({ type: 'boolean' });
      expect(properties.doc_id).toEqual({ type: 'keyword' });
    }
  });

  it('hashes settings and mapping independent of key order, and names the physical index after it', () => {
    const a = indexDefinitionOf(
      { index: 'forms', settings: { a: 1, b: 2 }, mappings: { properties: {} } },
      'a',
    );
    const b = indexDefinitionOf(
      { index: 'forms', settings: { b: 2, a: 1 }, mappings: { properties: {} } },
      'b',
    );
    const c = indexDefinitionOf(
      { index: 'forms', settings: { a: 1, b: 3 }, mappings: { properties: {} } },
      'c',
    );
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
    expect(indexNames(a, 't1_')).toEqual({ alias: 't1_forms', physical: `t1_forms_${a.hash}` });
  });

  it('names the file and path of a bad definition', () => {
    expect(() =>
      indexDefinitionOf({ index: 'nope', settings: {}, mappings: { properties: {} } }, 'x.json'),
    ).toThrow(/^x\.json: index: /);
  });
});
