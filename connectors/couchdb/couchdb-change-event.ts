/**
 * Pure helpers of the CouchDB changes source: one `_changes` row (with its document) becomes a
 * change event carrying the schemas' envelope (doc_id, domain, doc_type, version, deleted,
 * changed_on) and the topic it belongs on.
 */

/** One row of a `_changes` response with `include_docs=true`. */
export interface CouchChange {
  id: string;
  seq: string | number;
  changes: { rev: string }[];
  deleted?: boolean;
  doc?: CouchDocument | null;
}

/** A CouchDB document as `_changes` or `GET` returns it. */
export type CouchDocument = { _id: string; _rev?: string; _deleted?: boolean } & Record<string, unknown>;

/** The envelope every change event starts with (schemas/README.md), followed by the document's own fields. */
export interface ChangeEvent extends Record<string, unknown> {
  doc_id: string;
  domain: string;
  doc_type: string;
  version: number;
  deleted: boolean;
  changed_on: number;
}

/** CommCare marks a soft-deleted document by suffixing its doc_type (`CommCareUser-Deleted`). */
const deletedSuffix = /-Deleted$/;

/** Document fields that say when the document was last saved, most specific first. */
const changedOnFields = ['server_modified_on', 'last_modified', 'modified_on', 'date_modified'] as const;

/** The generation of a revision: `3-abc` → 3. Throws for anything that is not a CouchDB revision. */
export function revisionNumber(rev: string): number {
  const match = /^(\d+)-/.exec(rev);
  if (!match) throw new Error(`not a CouchDB revision: ${JSON.stringify(rev)}`);
  return Number(match[1]);
}

/** True for design documents (`_design/…`), which never become events. */
export function isDesignDocument(id: string): boolean {
  return id.startsWith('_design/');
}

/** The document's project space: `domain`, else its first membership's (web users), else its `name` (Domain documents). */
export function domainOf(doc: Record<string, unknown>, docType: string): string {
  if (typeof doc.domain === 'string') return doc.domain;
  const memberships = doc.domain_memberships;
  if (Array.isArray(memberships)) {
    const first = memberships[0] as { domain?: unknown } | undefined;
    if (typeof first?.domain === 'string') return first.domain;
  }
  if (docType === 'Domain' && typeof doc.name === 'string') return doc.name;
  return '';
}

/** When the change was saved: the document's own modification time when it has one, else `readAt`. */
export function changedOnOf(doc: Record<string, unknown>, readAt: number): number {
  for (const field of changedOnFields) {
    const value = doc[field];
    const millis =
      typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isFinite(millis)) return millis;
  }
  return readAt;
}

/**
 * The change event for one `_changes` row. `lastState` is the document's last live revision, for a
 * deletion whose tombstone carries no body (the event then carries that state, as the schemas ask).
 * Returns null for design documents. The event's `doc_type` has CommCare's `-Deleted` suffix
 * removed; such soft-deleted documents are deleted events too. `doc_type` is '' when unknown.
 */
export function toChangeEvent(
  change: CouchChange,
  readAt: number,
  lastState?: CouchDocument | null,
): ChangeEvent | null {
  if (isDesignDocument(change.id)) return null;
  const rev = change.changes[0]?.rev ?? change.doc?._rev;
  if (rev === undefined) throw new Error(`change of ${change.id} names no revision`);
  const tombstone = change.deleted === true || change.doc?._deleted === true;
  const body: Record<string, unknown> = {
    ...(tombstone ? (lastState ?? {}) : {}),
    ...(change.doc ?? {}),
  };
  delete body._deleted;
  const rawType = typeof body.doc_type === 'string' ? body.doc_type : '';
  const softDeleted = deletedSuffix.test(rawType);
  const docType = rawType.replace(deletedSuffix, '');
  return {
    ...body,
    _id: change.id,
    _rev: rev,
    doc_id: change.id,
    domain: domainOf(body, docType),
    doc_type: docType,
    version: revisionNumber(rev),
    deleted: tombstone || softDeleted,
    changed_on: changedOnOf(body, readAt),
  };
}

/** The topic for a document type: the map's entry, else `defaultTopic`, else undefined (the event is skipped). */
export function topicFor(
  docType: string,
  topicByDocType: Readonly<Record<string, string>>,
  defaultTopic: string | undefined,
): string | undefined {
  return Object.hasOwn(topicByDocType, docType) ? topicByDocType[docType] : defaultTopic;
}

/** The revision before `rev` in a `_revisions` history (`GET …?revs=true`), if there is one. */
export function previousRevision(
  revisions: { start: number; ids: string[] } | undefined,
): string | undefined {
  if (!revisions || revisions.ids.length < 2 || revisions.start < 2) return undefined;
  return `${revisions.start - 1}-${revisions.ids[1]}`;
}
