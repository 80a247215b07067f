/**
 * A change event as the CommCare document UCR expressions read. Stands in until the UCR language
 * ships `formEventToDoc`/`caseEventToDoc` (processors/ucr/commcare-docs.ts); only the fields the
 * stage's tests rely on are exact.
 */
import type { ChangeEvent } from './change-event-doc.js';

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The CommCare document (`_id`, `doc_type`, `domain`, …) of a form or case change. */
export function eventToDoc(change: ChangeEvent): Record<string, unknown> {
  if (change.kind === 'form') {
    const e = change.event;
    return {
      _id: e.doc_id,
      doc_type: e.doc_type,
      domain: e.domain,
      xmlns: e.xmlns,
      app_id: e.app_id,
      build_id: e.build_id,
      user_id: e.user_id,
      received_on: iso(e.received_on),
      server_modified_on: iso(e.server_modified_on),
      form: e.form,
    };
  }
  const e = change.event;
  return {
    ...e.properties,
    _id: e.doc_id,
    doc_type: e.doc_type,
    domain: e.domain,
    type: e.case_type,
    name: e.name,
    owner_id: e.owner_id,
    opened_on: iso(e.opened_on),
    opened_by: e.opened_by,
    modified_on: iso(e.modified_on),
    modified_by: e.modified_by,
    server_modified_on: iso(e.server_modified_on),
    closed: e.closed,
    closed_on: iso(e.closed_on),
    closed_by: e.closed_by,
    external_id: e.external_id,
    location_id: e.location_id,
    indices: e.indices,
    xform_ids: e.xform_ids,
  };
}
