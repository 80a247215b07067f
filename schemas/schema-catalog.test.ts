import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultSchemasDir,
  latestSchemaOfTopic,
  loadSchemaCatalog,
  SchemaCatalogError,
} from './schema-catalog.js';
import { changeEvent, schemaTestFolder, type SchemaTestFolder } from './tools/schema-test-folder.js';

const topics = 'topics:\n  notes:\n    schema: note\n';
const note = changeEvent('Note', [{ name: 'text', type: 'string', doc: 'The text.' }]);

let folder: SchemaTestFolder | undefined;
afterEach(async () => {
  await folder?.remove();
  folder = undefined;
});

describe('loadSchemaCatalog', () => {
  it('maps every shipped topic to its schema folder at BACKWARD_TRANSITIVE by default', async () => {
    const catalog = await loadSchemaCatalog(defaultSchemasDir());
    expect(catalog.topics.map((t) => [t.topic, t.folder])).toEqual([
      ['forms', 'form'],
      ['cases', 'case'],
      ['users', 'user'],
      ['groups', 'group'],
      ['apps', 'application'],
      ['locations', 'location'],
      ['domains', 'domain'],
      ['configs', 'config-document'],
    ]);
    expect(new Set(catalog.topics.map((t) => t.compatibility))).toEqual(new Set(['BACKWARD_TRANSITIVE']));
    expect(catalog.problems).toEqual([]);
  });

  it('finds the latest schema of a topic, and nothing for a topic it does not list', async () => {
    const catalog = await loadSchemaCatalog(defaultSchemasDir());
    expect(latestSchemaOfTopic(catalog, 'cases')).toMatchObject({ version: 2, schema: { name: 'Case' } });
    expect(latestSchemaOfTopic(catalog, 'nope')).toBeUndefined();
  });

  it('keeps the versions of a folder in version order', async () => {
    folder = await schemaTestFolder({ 'topics.yaml': topics, 'note/v2.avsc': note, 'note/v1.avsc': note });
    const catalog = await loadSchemaCatalog(folder.dir);
    expect(catalog.folders[0]!.versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('takes a per-topic compatibility level over the default', async () => {
    folder = await schemaTestFolder({
      'topics.yaml':
        'defaults:\n  compatibility: FULL\ntopics:\n  notes:\n    schema: note\n    compatibility: NONE\n  others:\n    schema: note\n',
      'note/v1.avsc': note,
    });
    const catalog = await loadSchemaCatalog(folder.dir);
    expect(catalog.topics.map((t) => t.compatibility)).toEqual(['NONE', 'FULL']);
  });

  it('refuses a topics file with an unknown level, naming the topic', async () => {
    folder = await schemaTestFolder({
      'topics.yaml': 'topics:\n  notes:\n    schema: note\n    compatibility: SOMETIMES\n',
      'note/v1.avsc': note,
    });
    await expect(loadSchemaCatalog(folder.dir)).rejects.toThrow(/topics\.yaml: topics\.notes\.compatibility/);
  });

  it('refuses a topic whose folder holds no schema', async () => {
    folder = await schemaTestFolder({ 'topics.yaml': topics });
    await expect(loadSchemaCatalog(folder.dir)).rejects.toThrow(SchemaCatalogError);
    await expect(loadSchemaCatalog(folder.dir)).rejects.toThrow(
      /topics\.notes\.schema: no schemas in note\//,
    );
  });

  it('refuses a folder without topics.yaml', async () => {
    folder = await schemaTestFolder({ 'note/v1.avsc': note });
    await expect(loadSchemaCatalog(folder.dir)).rejects.toThrow(/topics\.yaml: cannot read/);
  });

  it('reports a misnamed file, a gap in versions, bad JSON and a folder no topic uses', async () => {
    folder = await schemaTestFolder({
      'topics.yaml': topics,
      'note/v1.avsc': note,
      'note/v3.avsc': '{ not json',
      'note/latest.avsc': note,
      'orphan/v1.avsc': note,
    });
    const catalog = await loadSchemaCatalog(folder.dir);
    const messages = catalog.problems.map((p) => `${p.file.replace(folder!.dir, '')}: ${p.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/note\/latest\.avsc: a schema file must be named v<N>\.avsc/),
      expect.stringMatching(/note\/v3\.avsc: not JSON/),
      expect.stringMatching(/note\/v3\.avsc: versions must run v1, v2, … without gaps: expected v2\.avsc/),
      expect.stringMatching(/orphan: not the value schema of any topic/),
    ]);
  });
});
