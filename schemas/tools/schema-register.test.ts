import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../runtime/contract/index.js';
import { loadSchemaCatalog, type SchemaCatalog } from '../schema-catalog.js';
import { registerSchemas, registryText, type SchemaRegistryApi } from './schema-register.js';
import { changeEvent, schemaTestFolder, type SchemaTestFolder } from './schema-test-folder.js';

const note = changeEvent('Note', [{ name: 'text', type: 'string', doc: 'The text.' }]);
const memo = changeEvent('Memo', [{ name: 'text', type: 'string', doc: 'The text.' }]);

/** A registry in memory that logs every call and refuses a schema when told to. */
class FakeRegistry implements SchemaRegistryApi {
  readonly calls: string[] = [];
  readonly subjects = new Map<string, string[]>();
  readonly levels = new Map<string, string>();
  refuse = new Set<string>();
  down = false;
  private readonly ids = new Map<string, number>();

  private id(schema: string): number {
    if (!this.ids.has(schema)) this.ids.set(schema, this.ids.size + 1);
    return this.ids.get(schema)!;
  }
  private check(): void {
    if (this.down) throw new RetryableError('schema registry unavailable: ECONNREFUSED');
  }
  lookupSchema(subject: string, schema: string): Promise<number | undefined> {
    this.check();
    this.calls.push(`lookup ${subject}`);
    return Promise.resolve(this.subjects.get(subject)?.includes(schema) ? this.id(schema) : undefined);
  }
  registerSchema(subject: string, schema: string): Promise<number> {
    this.calls.push(`register ${subject}`);
    if (this.refuse.has(subject)) return Promise.reject(new Error('409 incompatible: text at /fields/6'));
    this.subjects.set(subject, [...(this.subjects.get(subject) ?? []), schema]);
    return Promise.resolve(this.id(schema));
  }
  setCompatibility(subject: string, level: string): Promise<void> {
    this.calls.push(`config ${subject} ${level}`);
    this.levels.set(subject, level);
    return Promise.resolve();
  }
  testCompatibility(subject: string): Promise<boolean> {
    this.calls.push(`test ${subject}`);
    return Promise.resolve(!this.refuse.has(subject));
  }
}

let folder: SchemaTestFolder;
let catalog: SchemaCatalog;
let registry: FakeRegistry;
beforeEach(async () => {
  folder = await schemaTestFolder({
    'topics.yaml':
      'topics:\n  notes:\n    schema: note\n  memos:\n    schema: memo\n    compatibility: FULL\n',
    'note/v1.avsc': note,
    'memo/v1.avsc': memo,
  });
  catalog = await loadSchemaCatalog(folder.dir);
  registry = new FakeRegistry();
});
afterEach(() => folder.remove());

describe('registerSchemas', () => {
  it('registers each topic under <topic>-value after setting its compatibility level, and says it was new', async () => {
    const outcomes = await registerSchemas(catalog, registry);
    expect(
      outcomes.map(({ subject, status, compatibility, id }) => ({ subject, status, compatibility, id })),
    ).toEqual([
      { subject: 'notes-value', status: 'new', compatibility: 'BACKWARD_TRANSITIVE', id: 1 },
      { subject: 'memos-value', status: 'new', compatibility: 'FULL', id: 2 },
    ]);
    expect(registry.calls.slice(0, 3)).toEqual([
      'lookup notes-value',
      'config notes-value BACKWARD_TRANSITIVE',
      'register notes-value',
    ]);
    expect(registry.subjects.get('notes-value')).toEqual([registryText(note)]);
  });

  it('reports a schema the subject holds already as existing, without registering it again', async () => {
    await registerSchemas(catalog, registry);
    registry.calls.length = 0;
    const outcomes = await registerSchemas(catalog, registry);
    expect(outcomes.map((o) => o.status)).toEqual(['existing', 'existing']);
    expect(registry.calls.filter((c) => c.startsWith('register'))).toEqual([]);
  });

  it('prefixes topic names so each test or environment gets its own subjects', async () => {
    const outcomes = await registerSchemas(catalog, registry, { topicPrefix: 't_x.', topics: ['memos'] });
    expect(outcomes.map((o) => [o.topic, o.subject])).toEqual([['t_x.memos', 't_x.memos-value']]);
  });

  it('changes nothing in a dry run and tells new from refused', async () => {
    registry.refuse.add('memos-value');
    const outcomes = await registerSchemas(catalog, registry, { dryRun: true });
    expect(outcomes.map((o) => o.status)).toEqual(['new', 'refused']);
    expect(registry.calls.filter((c) => c.startsWith('register') || c.startsWith('config'))).toEqual([]);
  });

  it('goes on with the other topics when the registry refuses one, with the reason', async () => {
    registry.refuse.add('notes-value');
    const outcomes = await registerSchemas(catalog, registry);
    expect(outcomes.map((o) => o.status)).toEqual(['refused', 'new']);
    expect(outcomes[0]!.error).toMatch(/409 incompatible/);
  });

  it('rejects with the retryable error when the registry cannot be reached at all', async () => {
    registry.down = true;
    await expect(registerSchemas(catalog, registry)).rejects.toBeInstanceOf(RetryableError);
  });
});
