/**
 * CommCare-shaped documents from Tributary's change events, as CommCare's SQL models serialise them
 * (`to_json` of XFormInstance and CommCareCase, `corehq/form_processor/serializers.py`): what UCR
 * expressions are written against. Pure functions; datetimes use CommCare's REST format
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
 */
import type { Case } from '../../schemas/generated/case.js';
import type { Form, FormState } from '../../schemas/generated/form.js';
import { UcrDateTime } from './values/kinds.js';

type JsonDoc = Record<string, unknown>;

/** Epoch milliseconds as CommCare serialises a datetime (always six fraction digits, Z). */
export function commcareDateTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const dt = UcrDateTime.fromEpochMs(ms);
  const [, , , us] = dt.clock();
  return `${dt.format('T').slice(0, 19)}.${String(us).padStart(6, '0')}Z`;
}

// XFormInstance.STATES bit values.
const FORM_STATES: Readonly<Record<FormState, number>> = {
  normal: 1,
  archived: 2,
  deprecated: 4,
  duplicate: 8,
  error: 16,
  deleted: 64,
};

function deletedDocType(docType: string, deleted: boolean): string {
  return deleted && !docType.endsWith('-Deleted') ? `${docType}-Deleted` : docType;
}

/**
 * The form document of a form change event: `_id`, `doc_type` (`XFormInstance`, `XFormArchived`…,
 * `-Deleted` appended when the change deletes it), `domain`, `xmlns`, `form` (with `@xmlns` and a
 * `meta` block filled from the event where the form JSON lacks them), `received_on`,
 * `server_modified_on`, `app_id`, `build_id`, `user_id`, `state`, `history`.
 */
export function formEventToDoc(event: Form): JsonDoc {
  const form: JsonDoc = { ...(event.form as JsonDoc) };
  if (form['@xmlns'] === undefined) form['@xmlns'] = event.xmlns;
  const meta: JsonDoc =
    typeof form.meta === 'object' && form.meta !== null && !Array.isArray(form.meta)
      ? { ...(form.meta as JsonDoc) }
      : {};
  const fill = (key: string, value: unknown) => {
    if (meta[key] === undefined && value !== null && value !== undefined) meta[key] = value;
  };
  fill('instanceID', event.doc_id);
  fill('userID', event.user_id);
  fill('username', event.username);
  fill('deviceID', event.device_id);
  fill('timeStart', commcareDateTime(event.time_start));
  fill('timeEnd', commcareDateTime(event.time_end));
  form.meta = meta;
  return {
    _id: event.doc_id,
    doc_type: deletedDocType(event.doc_type, event.deleted),
    domain: event.domain,
    xmlns: event.xmlns,
    form,
    received_on: commcareDateTime(event.received_on),
    server_modified_on: commcareDateTime(event.server_modified_on),
    app_id: event.app_id,
    build_id: event.build_id,
    user_id: event.user_id,
    state: FORM_STATES[event.state] ?? 1,
    history: [],
  };
}

/**
 * The case document of a case change event: the dynamic properties at top level, then CommCare's
 * fields (which win over a property of the same name): `_id`, `case_id`, `doc_type`, `domain`,
 * `type`, `name`, `owner_id`, `opened_on`, `opened_by`, `modified_on`, `modified_by`, `user_id`
 * (the last modifier, as CommCare), `server_modified_on`, `closed`, `closed_on`, `closed_by`,
 * `external_id`, `location_id`, `deleted`, `indices` (`case_id`, `identifier`, `referenced_type`,
 * `referenced_id`, `relationship`), `xform_ids`.
 */
export function caseEventToDoc(event: Case): JsonDoc {
  return {
    ...(event.properties as JsonDoc),
    _id: event.doc_id,
    case_id: event.doc_id,
    doc_type: deletedDocType(event.doc_type, event.deleted),
    domain: event.domain,
    type: event.case_type,
    name: event.name,
    owner_id: event.owner_id,
    opened_on: commcareDateTime(event.opened_on),
    opened_by: event.opened_by,
    modified_on: commcareDateTime(event.modified_on),
    modified_by: event.modified_by,
    user_id: event.modified_by,
    server_modified_on: commcareDateTime(event.server_modified_on),
    closed: event.closed,
    closed_on: commcareDateTime(event.closed_on),
    closed_by: event.closed_by,
    external_id: event.external_id,
    location_id: event.location_id,
    deleted: event.deleted,
    indices: event.indices.map((index) => ({
      case_id: event.doc_id,
      identifier: index.identifier,
      referenced_type: index.referenced_type,
      referenced_id: index.referenced_id,
      relationship: index.relationship,
    })),
    xform_ids: [...event.xform_ids],
  };
}
