/**
 * A case as CommCare's case pillow indexes it in `cases`: the case document (`caseEventToDoc`,
 * dynamic properties at the top level, kept in the source but not mapped), `doc_id` in place of
 * `_id` (the engine's own), an `actions`
 * summary (one entry per form that changed the case, in order: the part of CommCare's action list
 * that Tributary's change events carry), and `inserted_at`, the change's time.
 */
import type { Case } from '../../../schemas/generated/case.js';
import { caseEventToDoc, commcareDateTime } from '../../ucr/commcare-docs.js';

export function casesIndexDoc(event: Case): Record<string, unknown> {
  const { _id: _metadataId, ...doc } = caseEventToDoc(event);
  return {
    ...doc,
    doc_id: event.doc_id,
    actions: event.xform_ids.map((xformId) => ({ xform_id: xformId })),
    change_source: event.change_source,
    inserted_at: commcareDateTime(event.changed_on),
  };
}
