/** A change event as the CommCare document UCR expressions read (the UCR language's converters). */
import { caseEventToDoc, formEventToDoc } from './commcare-docs.js';
import type { ChangeEvent } from './change-event-doc.js';

/** The CommCare document (`_id`, `doc_type`, `domain`, …) of a form, case or configuration document change. */
export function eventToDoc(change: ChangeEvent): Record<string, unknown> {
  if (change.kind === 'document') {
    // The envelope fields are the source's, not the document's.
    const {
      doc_id: _id,
      version: _version,
      deleted: _deleted,
      changed_on: _changedOn,
      ...doc
    } = change.event;
    return doc;
  }
  return change.kind === 'form' ? formEventToDoc(change.event) : caseEventToDoc(change.event);
}
