import { describe, expect, it } from 'vitest';
import type { Case } from '../../schemas/generated/case.js';
import type { Form } from '../../schemas/generated/form.js';
import { caseEventToDoc, commcareDateTime, formEventToDoc } from './commcare-docs.js';

const ms = Date.UTC(2023, 2, 14, 9, 21, 5, 120);

const caseEvent: Case = {
  doc_id: 'c1',
  domain: 'demo',
  doc_type: 'CommCareCase',
  version: 2,
  deleted: false,
  changed_on: ms,
  case_type: 'member',
  name: 'Amina',
  owner_id: 'u1',
  opened_on: ms,
  opened_by: 'u1',
  modified_on: ms,
  modified_by: 'u2',
  server_modified_on: ms,
  closed: false,
  closed_on: null,
  closed_by: null,
  external_id: null,
  location_id: null,
  properties: { age: '34', name: 'shadowed' },
  indices: [
    { identifier: 'parent', referenced_type: 'household', referenced_id: 'h1', relationship: 'child' },
  ],
  xform_ids: ['f1'],
  change_source: 'form',
};

const formEvent: Form = {
  doc_id: 'f1',
  domain: 'demo',
  doc_type: 'XFormInstance',
  version: 1,
  deleted: false,
  changed_on: ms,
  xmlns: 'http://tributary.dev/demo/followup-visit',
  form_name: 'Follow-up',
  app_id: 'app',
  build_id: 'build',
  user_id: 'u1',
  username: 'amina',
  device_id: 'dev',
  auth_user_id: null,
  auth_username: null,
  auth_method: null,
  form_body_url: null,
  received_on: ms,
  server_modified_on: ms,
  time_start: null,
  time_end: ms,
  state: 'normal',
  case_ids: ['c1'],
  attachments: [],
  form: { visit_date: '2023-03-14', meta: { instanceID: 'f1' } },
};

describe('CommCare documents from change events', () => {
  it('formats datetimes the way CommCare serialises them', () => {
    expect(commcareDateTime(ms)).toBe('2023-03-14T09:21:05.120000Z');
    expect(commcareDateTime(null)).toBeNull();
  });

  it('builds a case doc with properties at top level and CommCare fields winning', () => {
    const doc = caseEventToDoc(caseEvent);
    expect(doc).toMatchObject({
      _id: 'c1',
      case_id: 'c1',
      doc_type: 'CommCareCase',
      type: 'member',
      name: 'Amina',
      age: '34',
      user_id: 'u2',
      opened_on: '2023-03-14T09:21:05.120000Z',
      closed: false,
      closed_on: null,
      xform_ids: ['f1'],
      indices: [
        {
          case_id: 'c1',
          identifier: 'parent',
          referenced_type: 'household',
          referenced_id: 'h1',
          relationship: 'child',
        },
      ],
    });
  });

  it('marks a deleted case CommCareCase-Deleted', () => {
    expect(caseEventToDoc({ ...caseEvent, deleted: true }).doc_type).toBe('CommCareCase-Deleted');
  });

  it('builds a form doc with meta filled in from the event', () => {
    const doc = formEventToDoc(formEvent);
    expect(doc).toMatchObject({
      _id: 'f1',
      doc_type: 'XFormInstance',
      xmlns: 'http://tributary.dev/demo/followup-visit',
      received_on: '2023-03-14T09:21:05.120000Z',
      user_id: 'u1',
      app_id: 'app',
      form: {
        '@xmlns': 'http://tributary.dev/demo/followup-visit',
        visit_date: '2023-03-14',
        meta: {
          instanceID: 'f1',
          userID: 'u1',
          username: 'amina',
          deviceID: 'dev',
          timeEnd: '2023-03-14T09:21:05.120000Z',
        },
      },
    });
    expect((doc.form as { meta: Record<string, unknown> }).meta.timeStart).toBeUndefined();
  });

  it('keeps the archived doc type', () => {
    expect(formEventToDoc({ ...formEvent, doc_type: 'XFormArchived', state: 'archived' })).toMatchObject({
      doc_type: 'XFormArchived',
      state: 2,
    });
  });
});
