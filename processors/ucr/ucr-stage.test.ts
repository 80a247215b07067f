import { describe, expect, it } from 'vitest';
import type { PipelineRecord } from '../../runtime/contract/index.js';
import type { Case } from '../../schemas/generated/case.js';
import type { CompiledDataSource, UcrLookupKey } from '../../commcare/ucr/contract.js';
import { UcrStage } from './ucr-stage.js';
import { lookupKeyId, type UcrCatalog } from '../../commcare/ucr/ucr-catalog.js';

/** One row per case: its name and its parent's name, looked up. */
const parentNames: CompiledDataSource = {
  domain: 'demo',
  tableId: 'children',
  displayName: 'Children',
  referencedDocType: 'CommCareCase',
  isDeactivated: false,
  disableDestructiveRebuild: false,
  columns: [],
  primaryKey: ['doc_id'],
  indexes: [],
  definitionHash: 'ab'.repeat(20),
  source: {},
  evaluate(doc, lookups) {
    const d = doc as { _id: string; name: string; indices: { referenced_id: string }[] };
    const parentId = d.indices[0]?.referenced_id;
    let parent: unknown = null;
    if (parentId) {
      const key = { kind: 'case', id: parentId, domain: 'demo' };
      parent = lookups.get(key);
      if (parent === undefined) return { status: 'missing', missing: [key] };
    }
    return {
      status: 'rows',
      matched: true,
      rows: [{ doc_id: d._id, name: d.name, parent: (parent as { name?: string } | null)?.name ?? null }],
    };
  },
};

const caseEvent = (id: string, version: number, over: Partial<Case> = {}): Case => ({
  doc_id: id,
  domain: 'demo',
  doc_type: 'CommCareCase',
  version,
  deleted: false,
  changed_on: 0,
  case_type: 'child',
  name: `child ${id}`,
  owner_id: 'u1',
  opened_on: 0,
  opened_by: null,
  modified_on: 0,
  modified_by: null,
  server_modified_on: 0,
  closed: false,
  closed_on: null,
  closed_by: null,
  external_id: null,
  location_id: null,
  properties: {},
  indices: [],
  xform_ids: [],
  change_source: 'form',
  ...over,
});

const record = (value: unknown): PipelineRecord => ({ key: null, value, headers: {}, timestamp: 1 });
const child = (id: string, parent: string) =>
  caseEvent(id, 3, {
    indices: [
      { identifier: 'parent', referenced_type: 'mother', referenced_id: parent, relationship: 'child' },
    ],
  });

function stageWith(fetched: Record<string, unknown>) {
  const calls: UcrLookupKey[][] = [];
  const catalog: UcrCatalog = {
    tablesFor: () => [],
    refresh: () => Promise.resolve(),
    dataSources: (domain, docType) =>
      domain === 'demo' && docType === 'CommCareCase'
        ? [{ key: 'demo/children@ab', dataSource: parentNames }]
        : [],
    fetch: (keys) => {
      calls.push([...keys]);
      return Promise.resolve(new Map(keys.map((k) => [lookupKeyId(k), fetched[k.id] ?? null])));
    },
  };
  return { stage: new UcrStage({ catalog: 'ucr', sink: 'reports', maxLookupRounds: 8 }, catalog), calls };
}

const ctx = {
  pipeline: 'p',
  logger: { debug() {}, info() {}, warn() {}, error() {}, child: () => ctx.logger },
};

describe('ucr stage', () => {
  it('emits the rows of each (data source, document), routed to the data source with the event version', async () => {
    const { stage } = stageWith({});
    const input = record(caseEvent('c1', 7));
    await stage.prepare([input]);
    expect(stage.process(input)).toEqual([
      {
        key: 'c1',
        value: { docId: 'c1', rows: [{ doc_id: 'c1', name: 'child c1', parent: null }] },
        headers: {},
        timestamp: 1,
        routing: { sink: 'reports', target: 'demo/children@ab', version: 7, op: 'upsert' },
      },
    ]);
  });

  it('fetches what the batch misses in one call, then evaluates those documents again', async () => {
    const { stage, calls } = stageWith({ m1: { name: 'Mama' } });
    const inputs = [record(child('c1', 'm1')), record(child('c2', 'm1')), record(child('c3', 'm2'))];
    await stage.prepare(inputs);
    expect(calls).toEqual([
      [
        { kind: 'case', id: 'm1', domain: 'demo' },
        { kind: 'case', id: 'm2', domain: 'demo' },
      ],
    ]);
    expect(
      inputs.map(
        (input) => (stage.process(input)[0]!.value as { rows: { parent: unknown }[] }).rows[0]!.parent,
      ),
    ).toEqual(['Mama', 'Mama', null]);
  });

  it('removes a deleted document from every data source without evaluating it', async () => {
    const { stage, calls } = stageWith({});
    const input = record(caseEvent('c1', 9, { deleted: true, indices: child('c1', 'm9').indices }));
    await stage.prepare([input]);
    expect(calls).toEqual([]);
    const [out] = stage.process(input);
    expect(out!.value).toEqual({ docId: 'c1', rows: [] });
    expect(out!.routing).toMatchObject({ op: 'delete', version: 9 });
  });

  it('passes over events of domains without data sources and values that are not form or case events', async () => {
    const { stage } = stageWith({});
    const inputs = [
      record(caseEvent('c1', 1, { domain: 'other' })),
      record({ hello: 'world' }),
      record(null),
    ];
    await stage.prepare(inputs);
    expect(inputs.map((input) => stage.process(input))).toEqual([[], [], []]);
  });

  it('reads a Form-or-Case union value as its event', async () => {
    const { stage } = stageWith({});
    const input = record({ 'dev.tributary.commcare.Case': caseEvent('c5', 2) });
    await stage.prepare([input]);
    expect(stage.process(input)).toHaveLength(1);
  });

  it('fails only the record whose evaluation throws', async () => {
    const broken: CompiledDataSource = {
      ...parentNames,
      evaluate: () => {
        throw new Error('boom');
      },
    };
    const catalog: UcrCatalog = {
      tablesFor: () => [],
      refresh: () => Promise.resolve(),
      dataSources: () => [{ key: 'k', dataSource: broken }],
      fetch: () => Promise.resolve(new Map()),
    };
    const failing = new UcrStage({ catalog: 'ucr', sink: 'reports', maxLookupRounds: 8 }, catalog);
    const input = record(caseEvent('c1', 1));
    await failing.prepare([input]);
    expect(() => failing.process(input)).toThrow(/UCR evaluation failed: boom/);
  });
});

describe('ucr stage over configuration documents', () => {
  const userNames: CompiledDataSource = {
    ...parentNames,
    tableId: 'users',
    referencedDocType: 'CommCareUser',
    evaluate: (doc) => {
      const d = doc as Record<string, unknown>;
      return {
        status: 'rows',
        matched: true,
        rows: [{ doc_id: String(d._id), keys: Object.keys(d).sort().join(',') }],
      };
    },
  };
  const catalog: UcrCatalog = {
    tablesFor: () => [],
    refresh: () => Promise.resolve(),
    dataSources: (domain, docType) =>
      domain === 'demo' && docType === 'CommCareUser'
        ? [{ key: 'demo/users@ab', dataSource: userNames }]
        : [],
    fetch: () => Promise.resolve(new Map()),
  };
  const stage = new UcrStage({ catalog: 'ucr', sink: 'reports', maxLookupRounds: 8 }, catalog);
  // A CommCareUser document as the CouchDB sources deliver it: the document and the change envelope.
  const userEvent = (over: Record<string, unknown> = {}) => ({
    _id: 'u1',
    _rev: '3-abc',
    doc_type: 'CommCareUser',
    domain: 'demo',
    username: 'chw1',
    doc_id: 'u1',
    version: 3,
    deleted: false,
    changed_on: 0,
    ...over,
  });

  it('evaluates the document itself, without the envelope, for data sources of its doc type', async () => {
    const input = record(userEvent());
    await stage.prepare([input]);
    expect(stage.process(input)).toEqual([
      {
        key: 'u1',
        value: { docId: 'u1', rows: [{ doc_id: 'u1', keys: '_id,_rev,doc_type,domain,username' }] },
        headers: {},
        timestamp: 1,
        routing: { sink: 'reports', target: 'demo/users@ab', version: 3, op: 'upsert' },
      },
    ]);
  });

  it('removes a deleted document, and passes over documents of other doc types', async () => {
    const deleted = record(userEvent({ deleted: true }));
    const web = record(userEvent({ doc_type: 'WebUser' }));
    await stage.prepare([deleted, web]);
    expect(stage.process(deleted)[0]!.routing).toMatchObject({ op: 'delete', version: 3 });
    expect(stage.process(web)).toEqual([]);
  });
});
