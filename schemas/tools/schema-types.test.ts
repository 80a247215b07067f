import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSchemasDir, loadSchemaCatalog } from '../schema-catalog.js';
import { changeEvent, schemaTestFolder, type SchemaTestFolder } from './schema-test-folder.js';
import { findStaleTypes, generateTypes, generatedHeader, writeTypes } from './schema-types.js';

const topics = 'topics:\n  notes:\n    schema: note\n';
const note = changeEvent('Note', [
  { name: 'title', type: ['null', 'string'], default: null, doc: 'The title, if any.' },
  { name: 'body', type: { type: 'string', logicalType: 'json-object' }, doc: 'The body.' },
  { name: 'tags', type: { type: 'map', values: 'string' }, doc: 'Tags.' },
  { name: 'due_on', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], doc: 'Due.' },
  {
    name: 'items',
    doc: 'Items.',
    type: {
      type: 'array',
      items: {
        type: 'record',
        name: 'Item',
        doc: 'One item.',
        fields: [
          {
            name: 'state',
            doc: 'State.',
            type: { type: 'enum', name: 'ItemState', doc: 'States.', symbols: ['todo', 'done'] },
          },
          { name: 'weight', doc: 'Weight.', type: ['null', 'double'] },
        ],
      },
    },
  },
]);

let folder: SchemaTestFolder | undefined;
afterEach(async () => {
  await folder?.remove();
  folder = undefined;
});

describe('generateTypes', () => {
  it('keeps the committed schemas/generated files current with the schemas', async () => {
    const catalog = await loadSchemaCatalog(defaultSchemasDir());
    const stale = await findStaleTypes(catalog);
    expect(stale, 'run `tributary schemas types` and commit schemas/generated').toEqual([]);
  });

  it('maps Avro types to TypeScript: nullable unions, json-object, maps, times, arrays of records, enums', async () => {
    folder = await schemaTestFolder({ 'topics.yaml': topics, 'note/v1.avsc': note });
    const [module] = generateTypes(await loadSchemaCatalog(folder.dir));
    expect(module!.name).toBe('note.ts');
    expect(module!.text.startsWith(generatedHeader)).toBe(true);
    expect(module!.text).toContain("import type { JsonObject } from '../avro-type.js';");
    for (const line of [
      'export interface Note {',
      '  title: string | null;',
      '  body: JsonObject;',
      '  tags: Record<string, string>;',
      '  due_on: number | null;',
      '  items: Item[];',
      '  version: number;',
      'export interface Item {',
      '  state: ItemState;',
      '  weight: number | null;',
      "export type ItemState = 'todo' | 'done';",
      'export const noteSchemaVersion = 1;',
      'export const noteSchema = {',
    ]) {
      expect(module!.text).toContain(line);
    }
    expect(module!.text).toContain('/** The title, if any. Default when absent from older data: null. */');
    expect(module!.text).toContain('/** Due. Epoch milliseconds. */');
  });

  it('generates from the latest version and re-exports every type from the index', async () => {
    const v2 = changeEvent('Note', [{ name: 'pinned', type: 'boolean', default: false, doc: 'Pinned.' }]);
    folder = await schemaTestFolder({ 'topics.yaml': topics, 'note/v1.avsc': note, 'note/v2.avsc': v2 });
    const files = generateTypes(await loadSchemaCatalog(folder.dir));
    expect(files.map((f) => f.name)).toEqual(['note.ts', 'index.ts']);
    expect(files[0]!.text).toContain('  pinned: boolean;');
    expect(files[0]!.text).toContain('export const noteSchemaVersion = 2;');
    expect(files[1]!.text).toContain("export { noteSchema, noteSchemaVersion, type Note } from './note.js';");
  });

  it('reports missing, changed and orphaned generated files, and writing makes them current', async () => {
    folder = await schemaTestFolder({ 'topics.yaml': topics, 'note/v1.avsc': note });
    const catalog = await loadSchemaCatalog(folder.dir);
    const dir = join(folder.dir, 'generated');
    expect(await findStaleTypes(catalog, dir)).toEqual(['note.ts: missing', 'index.ts: missing']);

    await writeTypes(catalog, dir);
    expect(await findStaleTypes(catalog, dir)).toEqual([]);

    await folder.write('generated/note.ts', `${generatedHeader}\n// edited by hand\n`);
    await folder.write('generated/old.ts', `${generatedHeader}\n`);
    await folder.write('generated/mine.ts', '// not generated: left alone\n');
    expect(await findStaleTypes(catalog, dir)).toEqual([
      'note.ts: differs from what the schemas generate',
      'old.ts: no schema generates it any more',
    ]);
    expect(await writeTypes(catalog, dir)).toEqual({ written: ['note.ts'], removed: ['old.ts'] });
    expect(await readFile(join(dir, 'mine.ts'), 'utf8')).toBe('// not generated: left alone\n');
  });

  it('refuses two schemas that would export one type name', async () => {
    folder = await schemaTestFolder({
      'topics.yaml': 'topics:\n  notes:\n    schema: note\n  memos:\n    schema: memo\n',
      'note/v1.avsc': note,
      'memo/v1.avsc': changeEvent('Note', []),
    });
    const catalog = await loadSchemaCatalog(folder.dir);
    expect(() => generateTypes(catalog)).toThrow(/note\.ts and memo\.ts both export Note/);
  });
});
