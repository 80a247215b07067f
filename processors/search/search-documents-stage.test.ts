import { describe, expect, it } from 'vitest';
import type { Case } from '../../schemas/generated/case.js';
import { SearchDocumentsStage, searchDocumentsStage } from './search-documents-stage.js';

const ms = Date.UTC(2026, 0, 2);
const event: Case = {
  doc_id: 'c1',
  domain: 'demo',
  doc_type: 'CommCareCase',
  version: 7,
  deleted: false,
  changed_on: ms,
  case_type: 'member',
  name: 'A',
  owner_id: 'u1',
  opened_on: ms,
  opened_by: 'u1',
  modified_on: ms,
  modified_by: 'u1',
  server_modified_on: ms,
  closed: false,
  closed_on: null,
  closed_by: null,
  external_id: null,
  location_id: null,
  properties: {},
  indices: [],
  xform_ids: [],
  change_source: 'form',
};
const record = (value: unknown) => ({ key: 'c1', value, headers: { h: '1' }, timestamp: ms });
/** A catalog keeping every index but `users` (a pipeline that does not keep one). */
const catalog = {
  indices: () => ['forms', 'cases', 'case_search'] as const,
  writeTargets: () => [],
  refresh: () => Promise.resolve(),
};
const create = (config: object) =>
  new SearchDocumentsStage(
    searchDocumentsStage.config.parse({ catalog: 'search', sink: 'search', ...config }),
    catalog,
  );

describe('the search-documents stage', () => {
  it('routes a case to cases and case_search at its version, to the named sink', () => {
    const outputs = create({}).process(record(event));
    expect(outputs.map((o) => [o.key, o.routing])).toEqual([
      ['c1', { sink: 'search', target: 'cases', version: 7, op: 'upsert' }],
      ['c1', { sink: 'search', target: 'case_search', version: 7, op: 'upsert' }],
    ]);
  });

  it('turns a deleted case into deletes with no document', () => {
    const outputs = create({ indices: ['case_search'] }).process(
      record({ ...event, deleted: true, version: 8 }),
    );
    expect(outputs).toEqual([
      {
        key: 'c1',
        value: null,
        headers: { h: '1' },
        timestamp: ms,
        routing: { sink: 'search', target: 'case_search', version: 8, op: 'delete' },
      },
    ]);
  });

  it('feeds only the indices the catalog keeps now', () => {
    const keeps = { ...catalog, indices: () => ['cases'] as const };
    const stage = new SearchDocumentsStage(
      searchDocumentsStage.config.parse({ catalog: 'search', sink: 'search' }),
      keeps,
    );
    expect(stage.process(record(event)).map((o) => o.routing?.target)).toEqual(['cases']);
    expect(create({ indices: ['forms'] }).process(record(event))).toEqual([]);
  });

  it('passes nothing on for values that are not change events', () => {
    expect(create({}).process(record({ something: 'else' }))).toEqual([]);
  });
});
