import { afterEach, describe, expect, it } from 'vitest';
import { defaultSchemasDir, formatProblem, loadSchemaCatalog } from '../schema-catalog.js';
import { checkSchemas } from './schema-check.js';
import { changeEvent, envelope, schemaTestFolder, type SchemaTestFolder } from './schema-test-folder.js';

const text = { name: 'text', type: 'string', doc: 'The text.' };
const status = {
  name: 'status',
  type: { type: 'enum', name: 'Status', doc: 'Status.', symbols: ['open', 'done', 'dropped'] },
  doc: 'Status.',
};
const v1 = changeEvent('Note', [text, status]);

let folder: SchemaTestFolder | undefined;
afterEach(async () => {
  await folder?.remove();
  folder = undefined;
});

/** The formatted problems of a folder holding note/v1.avsc … vN.avsc at `level`. */
async function problems(versions: object[], level = 'BACKWARD_TRANSITIVE'): Promise<string[]> {
  const files: Record<string, object | string> = {
    'topics.yaml': `topics:\n  notes:\n    schema: note\n    compatibility: ${level}\n`,
  };
  versions.forEach((schema, i) => (files[`note/v${i + 1}.avsc`] = schema));
  folder = await schemaTestFolder(files);
  const catalog = await loadSchemaCatalog(folder.dir);
  return checkSchemas(catalog).map((p) => formatProblem(p).replace(`${folder!.dir}/`, ''));
}

describe('checkSchemas', () => {
  it('passes every shipped schema', async () => {
    const catalog = await loadSchemaCatalog(defaultSchemasDir());
    expect(checkSchemas(catalog).map(formatProblem)).toEqual([]);
  });

  it('passes a field added with a default', async () => {
    const v2 = changeEvent('Note', [
      text,
      status,
      { name: 'tag', type: ['null', 'string'], default: null, doc: 'Tag.' },
    ]);
    expect(await problems([v1, v2])).toEqual([]);
  });

  it('names a field added without a default and the versions that cannot read each other', async () => {
    const v2 = changeEvent('Note', [text, status, { name: 'owner', type: 'string', doc: 'Owner.' }]);
    expect(await problems([v1, v2])).toEqual([
      expect.stringMatching(
        /note\/v2\.avsc: field owner: added without a default, so data written without it cannot be read: v2 cannot read data written with v1 \(BACKWARD_TRANSITIVE\)$/,
      ),
    ]);
  });

  it('names a field whose type changed', async () => {
    const v2 = changeEvent('Note', [{ ...text, type: 'int' }, status]);
    expect(await problems([v1, v2])).toEqual([
      expect.stringMatching(/note\/v2\.avsc: field text: type changed from string to int: v2 cannot read/),
    ]);
  });

  it('names an enum symbol removed without an enum default, inside nested types', async () => {
    const nested = (symbols: string[]) =>
      changeEvent('Note', [
        text,
        {
          name: 'items',
          doc: 'Items.',
          type: {
            type: 'array',
            items: {
              type: 'record',
              name: 'Item',
              doc: 'An item.',
              fields: [
                {
                  name: 'status',
                  doc: 'Status.',
                  type: { type: 'enum', name: 'Status', doc: 'S.', symbols },
                },
              ],
            },
          },
        },
      ]);
    expect(await problems([nested(['open', 'done']), nested(['open'])])).toEqual([
      expect.stringMatching(
        /note\/v2\.avsc: field items\[\]\.status: symbol done is gone and the enum has no default/,
      ),
    ]);
  });

  it('checks every earlier version under a transitive level, only the previous one otherwise', async () => {
    // v2 adds `size` with a default; v3 drops the default: v3 reads v2 data (it has a size) but not v1 data.
    const v2 = changeEvent('Note', [text, status, { name: 'size', type: 'int', default: 0, doc: 'Size.' }]);
    const v3 = changeEvent('Note', [text, status, { name: 'size', type: 'int', doc: 'Size.' }]);
    expect(await problems([v1, v2, v3], 'BACKWARD_TRANSITIVE')).toEqual([
      expect.stringMatching(
        /note\/v3\.avsc: field size: added without a default.*: v3 cannot read data written with v1 \(BACKWARD_TRANSITIVE\)$/,
      ),
    ]);
    expect(await problems([v1, v2, v3], 'BACKWARD')).toEqual([]);
  });

  it('checks the other direction under FORWARD: old readers must read new data', async () => {
    const v2 = changeEvent('Note', [status]); // drops `text`, which v1 readers need (no default)
    expect(await problems([v1, v2], 'FORWARD')).toEqual([
      expect.stringMatching(
        /note\/v2\.avsc: field text: added without a default.*: v1 cannot read data written with v2 \(FORWARD\)/,
      ),
    ]);
    expect(await problems([v1, v2], 'BACKWARD')).toEqual([]);
  });

  it('still asks for a default on every field added after v1 under NONE', async () => {
    const v2 = changeEvent('Note', [text, status, { name: 'owner', type: 'string', doc: 'Owner.' }]);
    expect(await problems([v1, v2], 'NONE')).toEqual([
      'note/v2.avsc: field owner: added in v2 without a default: every field added after v1 needs one',
    ]);
  });

  it('asks for docs, a namespace, timestamps for times and the envelope fields', async () => {
    const bad = {
      type: 'record',
      name: 'Note',
      doc: 'A note.',
      fields: [
        ...envelope.filter((f) => f.name !== 'deleted'),
        { name: 'text', type: 'string' },
        { name: 'sent_on', type: 'long', doc: 'When sent.' },
      ],
    };
    expect(await problems([bad])).toEqual([
      'note/v1.avsc: record Note needs a namespace (e.g. dev.tributary.commcare)',
      'note/v1.avsc: field text: needs a doc',
      'note/v1.avsc: field sent_on: holds a time: make it {"type": "long", "logicalType": "timestamp-millis"}',
      'note/v1.avsc: field deleted: missing: every change event carries the envelope field deleted',
    ]);
  });

  it('reports a schema avsc cannot parse, with its reason', async () => {
    const broken = changeEvent('Note', [{ name: 'text', type: 'strang', doc: 'Typo.' }]);
    expect(await problems([broken])).toEqual([
      expect.stringMatching(/note\/v1\.avsc: not a valid Avro schema: .*strang/),
    ]);
  });

  it('refuses a union with two branches of one JavaScript kind', async () => {
    const ambiguous = changeEvent('Note', [{ name: 'size', type: ['int', 'double'], doc: 'Size.' }]);
    expect(await problems([ambiguous])).toEqual([
      'note/v1.avsc: field size: union has two branches of one JavaScript kind (e.g. int and long): keep one per kind',
    ]);
  });
});
