/**
 * What the stage needs to know of a change event before evaluating it: which kind of document it
 * is, the referenced doc type data sources of it name, and whether it removes the document from
 * every view. Turning the event into the CommCare document is the UCR language's
 * (`formEventToDoc`/`caseEventToDoc`); this file only classifies.
 */
import { isObject } from '../../runtime/contract/index.js';
import type { Case } from '../../schemas/generated/case.js';
import type { Form } from '../../schemas/generated/form.js';

/**
 * A configuration document from the config store as the CouchDB sources deliver it: the CommCare
 * document (`_id`, `doc_type`, `domain`, its fields) with the change-event envelope (doc_id,
 * version from the revision, deleted, changed_on). How `CommCareUser` and `Location` data sources
 * are built.
 */
export interface DocumentEvent extends Record<string, unknown> {
  _id: string;
  doc_id: string;
  domain: string;
  doc_type: string;
  version: number;
  deleted: boolean;
}

export type ChangeEvent =
  { kind: 'form'; event: Form } | { kind: 'case'; event: Case } | { kind: 'document'; event: DocumentEvent };

/** The doc types of configuration documents data sources read (the reference's referenced_doc_type). */
export const documentDocTypes: readonly string[] = ['CommCareUser', 'Location'];

/**
 * The form or case event in a record value, or undefined for anything else. Accepts the plain
 * Avro-decoded record and a union-wrapped one (`{"dev.tributary.commcare.Form": {...}}`), which is
 * what a reader schema `[Form, Case]` decodes to.
 */
export function changeEventOf(value: unknown): ChangeEvent | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length === 1 && /\.(Form|Case)$/.test(keys[0]!)) return changeEventOf(value[keys[0]!]);
  if (typeof value.doc_id !== 'string' || typeof value.domain !== 'string') return undefined;
  if (typeof value.xmlns === 'string' && isObject(value.form))
    return { kind: 'form', event: value as unknown as Form };
  if (typeof value.case_type === 'string' && isObject(value.properties))
    return { kind: 'case', event: value as unknown as Case };
  if (
    typeof value._id === 'string' &&
    typeof value.doc_type === 'string' &&
    documentDocTypes.includes(value.doc_type) &&
    typeof value.version === 'number'
  )
    return { kind: 'document', event: value as DocumentEvent };
  return undefined;
}

/** The referenced doc type of the data sources a change can touch. */
export function referencedDocTypeOf(change: ChangeEvent): string {
  if (change.kind === 'document') return change.event.doc_type;
  return change.kind === 'form' ? 'XFormInstance' : 'CommCareCase';
}

/**
 * True when the change removes the document from every data source without evaluating it: a
 * deletion, an archived or deleted doc type, or a state no data source reads (a deprecated,
 * duplicate or error form: the doc type must match exactly, the reference's §13.16).
 */
export function removesDocument(change: ChangeEvent): boolean {
  const { event } = change;
  if (event.deleted) return true;
  return event.doc_type !== referencedDocTypeOf(change);
}
