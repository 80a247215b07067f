import { describe, expect, it } from 'vitest';
import type { Case } from '../../../schemas/generated/case.js';
import type { Form } from '../../../schemas/generated/form.js';
import type { Location } from '../../../schemas/generated/location.js';
import type { User } from '../../../schemas/generated/user.js';
import { searchActionsOf, searchIndexNames, type SearchIndexName } from './search-actions.js';

const ms = Date.UTC(2026, 9, 1, 8, 30, 0, 250);
const all = new Set<SearchIndexName>(searchIndexNames);

const member: Case = {
  doc_id: 'c1',
  domain: 'demo',
  doc_type: 'CommCareCase',
  version: 3,
  deleted: false,
  changed_on: ms,
  case_type: 'member',
  name: 'Amina Achieng',
  owner_id: 'u1',
  opened_on: ms,
  opened_by: 'u1',
  modified_on: ms,
  modified_by: 'u2',
  server_modified_on: ms,
  closed: false,
  closed_on: null,
  closed_by: null,
  external_id: 'ext-1',
  location_id: null,
  properties: { age: '34', dob: '1992-05-01', gps: '-1.2921 36.8219 1700 5', tags: 'red blue' },
  indices: [
    { identifier: 'parent', referenced_type: 'household', referenced_id: 'h1', relationship: 'child' },
  ],
  xform_ids: ['f1', 'f2'],
  change_source: 'form',
};

const visit: Form = {
  doc_id: 'f2',
  domain: 'demo',
  doc_type: 'XFormInstance',
  version: 1,
  deleted: false,
  changed_on: ms,
  xmlns: 'http://tributary.dev/demo/followup-visit',
  form_name: 'Follow-up visit',
  app_id: 'app1',
  build_id: 'b1',
  user_id: 'u2',
  username: 'chw2',
  auth_user_id: 'u2',
  auth_username: 'chw2',
  auth_method: 'basic',
  form_body_url: null,
  device_id: 'd1',
  received_on: ms,
  server_modified_on: ms,
  time_start: null,
  time_end: ms,
  state: 'normal',
  case_ids: ['c1'],
  attachments: [],
  form: {
    '@uiVersion': '1',
    '@version': '12',
    visit_date: '2026-10-01',
    meta: { instanceID: 'f2', appVersion: { '#text': 'CommCare 2.53' }, timeStart: 'not a date' },
  },
};

describe('search documents from change events', () => {
  it('a case feeds cases and case_search at its version', () => {
    const actions = searchActionsOf(member, all);
    expect(actions.map((a) => [a.index, a.id, a.version])).toEqual([
      ['cases', 'c1', 3],
      ['case_search', 'c1', 3],
    ]);
  });

  it('shapes case_search as CommCare: system properties first, then every property with its typed extras', () => {
    const doc = searchActionsOf(member, new Set(['case_search']))[0]!.doc!;
    expect(doc).toMatchObject({
      doc_id: 'c1',
      domain: 'demo',
      type: 'member',
      owner_id: 'u1',
      closed: false,
      '@indexed_on': '2026-10-01T08:30:00.250000Z',
      indices: [
        {
          doc_type: 'CommCareCaseIndex',
          identifier: 'parent',
          referenced_id: 'h1',
          referenced_type: 'household',
          relationship: 'child',
        },
      ],
    });
    const entries = doc.case_properties as { key: string; value: string }[];
    expect(entries.map((e) => e.key)).toEqual([
      '@case_id',
      '@case_type',
      '@owner_id',
      '@status',
      'name',
      'case_name',
      'external_id',
      'date_opened',
      'closed_on',
      'last_modified',
      'age',
      'dob',
      'gps',
      'tags',
    ]);
    expect(entries.find((e) => e.key === '@status')).toEqual({
      key: '@status',
      value: 'open',
      phonetic_value: ['O150'],
    });
    expect(entries.find((e) => e.key === 'closed_on')).toEqual({ key: 'closed_on', value: '' });
    expect(entries.find((e) => e.key === 'name')).toMatchObject({
      value: 'Amina Achieng',
      phonetic_value: ['A550', 'A252'],
    });
    expect(entries.find((e) => e.key === 'gps')).toMatchObject({
      geopoint_value: { lat: -1.2921, lon: 36.8219 },
    });
  });

  it('keeps the case document with its properties and an actions summary in cases', () => {
    const doc = searchActionsOf(member, new Set(['cases']))[0]!.doc!;
    expect(doc).not.toHaveProperty('_id');
    expect(doc).toMatchObject({
      doc_id: 'c1',
      type: 'member',
      age: '34',
      user_id: 'u2',
      actions: [{ xform_id: 'f1' }, { xform_id: 'f2' }],
      xform_ids: ['f1', 'f2'],
      inserted_at: '2026-10-01T08:30:00.250000Z',
    });
  });

  it('shapes a form as the xform pillow does', () => {
    const doc = searchActionsOf(visit, all)[0]!.doc!;
    expect(doc).not.toHaveProperty('_id');
    expect(doc).toMatchObject({
      doc_id: 'f2',
      doc_type: 'XFormInstance',
      xmlns: 'http://tributary.dev/demo/followup-visit',
      received_on: '2026-10-01T08:30:00.250000Z',
      app_id: 'app1',
      user_id: 'u2',
      '@uiVersion': '1',
      '@version': '12',
      __retrieved_case_ids: ['c1'],
      form: {
        visit_date: '2026-10-01',
        meta: { appVersion: 'CommCare 2.53', timeStart: null, userID: 'u2' },
      },
    });
  });

  it('a deletion is a null document at the deleting version', () => {
    expect(searchActionsOf({ ...member, version: 4, deleted: true }, all)).toEqual([
      { index: 'cases', id: 'c1', domain: 'demo', version: 4, doc: null },
      { index: 'case_search', id: 'c1', domain: 'demo', version: 4, doc: null },
    ]);
  });

  it('reads union-wrapped values and ignores values that are not change events', () => {
    expect(searchActionsOf({ 'dev.tributary.commcare.Case': member }, all)).toHaveLength(2);
    expect(searchActionsOf({ hello: 'world' }, all)).toEqual([]);
    expect(searchActionsOf(null, all)).toEqual([]);
  });

  it('feeds only the indices asked for', () => {
    expect(searchActionsOf(member, new Set(['forms']))).toEqual([]);
  });

  it('indexes users with a base username, and locations with a geo point', () => {
    const user: User = {
      doc_id: 'u1',
      domain: 'demo',
      doc_type: 'CommCareUser',
      version: 1,
      deleted: false,
      changed_on: ms,
      username: 'chw1@demo.commcarehq.org',
      first_name: 'Grace',
      last_name: 'Otieno',
      email: null,
      phone_numbers: [],
      is_active: true,
      date_joined: ms,
      last_login: null,
      location_id: 'l1',
      assigned_location_ids: ['l1'],
      user_data: { cadre: 'chw' },
      domain_memberships: [{ domain: 'demo', role_id: null, is_admin: false }],
    };
    expect(searchActionsOf(user, all)[0]).toMatchObject({
      index: 'users',
      doc: {
        base_username: 'chw1',
        username: 'chw1@demo.commcarehq.org',
        user_data_es: [{ key: 'cadre', value: 'chw' }],
      },
    });
    const location: Location = {
      doc_id: 'l1',
      domain: 'demo',
      doc_type: 'Location',
      version: 1,
      deleted: false,
      changed_on: ms,
      name: 'Bondo',
      site_code: 'bondo',
      location_type: 'village',
      parent_location_id: null,
      lineage: [],
      latitude: -0.1,
      longitude: 34.27,
      external_id: null,
      is_archived: false,
      metadata: {},
      last_modified: ms,
    };
    expect(searchActionsOf(location, all)[0]).toMatchObject({
      index: 'locations',
      doc: { location: { lat: -0.1, lon: 34.27 } },
    });
  });
});
