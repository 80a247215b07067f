/** A change event as the CommCare document UCR expressions read (the UCR language's converters). */
import { caseEventToDoc, formEventToDoc } from './commcare-docs.js';
import type { ChangeEvent } from './change-event-doc.js';

/** The CommCare document (`_id`, `doc_type`, `domain`, …) of a form or case change. */
export function eventToDoc(change: ChangeEvent): Record<string, unknown> {
  return change.kind === 'form' ? formEventToDoc(change.event) : caseEventToDoc(change.event);
}
