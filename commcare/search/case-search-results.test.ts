import { describe, expect, it } from 'vitest';
import type { Case } from '../../schemas/generated/case.js';
import { apiCaseOf, apiCaseOfEvent } from './api-records.js';
import { caseResultsXml, searchCaseOf } from './case-search-results.js';
import { caseSearchIndexDoc } from './documents/case-search-index-doc.js';

const ms = Date.UTC(2026, 9, 1, 8, 30);
const event: Case = {
  doc_id: 'c1',
  domain: 'demo',
  doc_type: 'CommCareCase',
  version: 1,
  deleted: false,
  changed_on: ms,
  case_type: 'member',
  name: 'Amina & Co',
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
  properties: { age: '34', 'bad name': 'x', note: '<b>' },
  indices: [
    { identifier: 'parent', referenced_type: 'household', referenced_id: 'h1', relationship: 'child' },
  ],
  xform_ids: [],
  change_source: 'form',
};

describe('case search answers', () => {
  it('describes a case with its system and own properties and its indices', () => {
    expect(searchCaseOf(caseSearchIndexDoc(event))).toEqual({
      case_id: 'c1',
      case_type: 'member',
      owner_id: 'u1',
      status: 'open',
      properties: {
        case_name: 'Amina & Co',
        date_opened: '2026-10-01',
        last_modified: '2026-10-01T08:30:00.000000Z',
        age: '34',
        'bad name': 'x',
        note: '<b>',
      },
      indices: { parent: { case_id: 'h1', case_type: 'household', relationship: 'child' } },
    });
  });

  it("writes CommCare's results fixture, escaping text and leaving out names XML cannot hold", () => {
    expect(caseResultsXml([searchCaseOf(caseSearchIndexDoc(event))])).toBe(
      "<?xml version='1.0' encoding='utf-8'?>\n" +
        '<results id="case"><case case_id="c1" case_type="member" owner_id="u1" status="open">' +
        '<case_name>Amina &amp; Co</case_name><date_opened>2026-10-01</date_opened>' +
        '<last_modified>2026-10-01T08:30:00.000000Z</last_modified><age>34</age><note>&lt;b&gt;</note>' +
        '<index><parent case_type="household" relationship="child">h1</parent></index></case></results>\n',
    );
    expect(caseResultsXml([])).toContain('<results id="case"></results>');
  });

  it('answers a case the same from the index and from the primary store', () => {
    expect(apiCaseOfEvent(event)).toEqual(apiCaseOf(caseSearchIndexDoc(event)));
    expect(apiCaseOfEvent(event)).toMatchObject({
      case_id: 'c1',
      case_name: 'Amina & Co',
      properties: { age: '34', note: '<b>' },
      indices: { parent: { case_id: 'h1' } },
    });
  });
});
