/**
 * A form as CommCare's xform pillow indexes it (`transform_xform_for_elasticsearch`): the form
 * document (`formEventToDoc`) with its meta block cleaned (time stamps that are not dates become
 * null, `appVersion` given as `{#text}` becomes its text), the case ids it touched
 * (`__retrieved_case_ids`), `doc_id` (in place of `_id`, which is the engine's own), and `inserted_at`, which is the change's time here (not the
 * indexing time, so a rebuilt index equals the live one).
 */
import type { Form } from '../../../schemas/generated/form.js';
import { commcareDateTime, formEventToDoc } from '../../ucr/commcare-docs.js';

type JsonDoc = Record<string, unknown>;

const isDateLike = (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value));

export function formsIndexDoc(event: Form): JsonDoc {
  // `_id` is the engine's metadata, not a source field (CommCare's adapters pop it too).
  const { _id: _metadataId, ...doc } = formEventToDoc(event);
  const form = { ...(doc.form as JsonDoc) };
  const meta = { ...(form.meta as JsonDoc) };
  for (const key of ['timeStart', 'timeEnd']) if (!isDateLike(meta[key])) meta[key] = null;
  const appVersion = meta.appVersion;
  if (appVersion !== null && typeof appVersion === 'object')
    meta.appVersion = (appVersion as JsonDoc)['#text'] ?? null;
  form.meta = meta;
  return {
    ...doc,
    form,
    doc_id: event.doc_id,
    username: event.username,
    form_name: event.form_name,
    '@uiVersion': typeof form['@uiVersion'] === 'string' ? form['@uiVersion'] : null,
    '@version': typeof form['@version'] === 'string' ? form['@version'] : null,
    __retrieved_case_ids: [...event.case_ids],
    inserted_at: commcareDateTime(event.changed_on),
  };
}
