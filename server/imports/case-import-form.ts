/**
 * The form a chunk of imported rows becomes, as CommCare's importer submits case blocks: a system
 * form whose case blocks create or update the cases, saved through the receiver's path (parse, case
 * application, one transaction with the outbox), so every view sees imported changes as it sees a
 * device's. Ids are derived from the task and row, so a retried chunk is the same form (a duplicate).
 */
import { createHash } from 'node:crypto';

export const caseImportXmlns = 'http://commcarehq.org/case';

/** A stable UUID-shaped id from parts (a retried import reuses the ids of its first attempt). */
export function derivedId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface ImportCaseChange {
  caseId: string;
  create: { caseType: string; name: string; ownerId: string } | null;
  /** Case fields and properties to set: name, owner_id, external_id, or any property name. */
  updates: Record<string, string>;
}

export interface CaseImportForm {
  formId: string;
  xml: string;
}

export function caseImportForm(
  formId: string,
  changes: readonly ImportCaseChange[],
  user: { id: string; username: string },
  whenIso: string,
): CaseImportForm {
  const blocks = changes.map((change) => {
    const create = change.create
      ? `<create><case_type>${xml(change.create.caseType)}</case_type><case_name>${xml(change.create.name)}</case_name><owner_id>${xml(change.create.ownerId)}</owner_id></create>`
      : '';
    const updates = Object.entries(change.updates)
      .map(([name, value]) => `<${name}>${xml(value)}</${name}>`)
      .join('');
    return `<case xmlns="http://commcarehq.org/case/transaction/v2" case_id="${xml(change.caseId)}" date_modified="${whenIso}" user_id="${xml(user.id)}">${create}${updates ? `<update>${updates}</update>` : ''}</case>`;
  });
  return {
    formId,
    xml:
      `<?xml version="1.0" encoding="UTF-8"?>\n<data xmlns="${caseImportXmlns}" name="Case import">${blocks.join('')}` +
      `<n0:meta xmlns:n0="http://openrosa.org/jr/xforms"><n0:deviceID>tributary-case-importer</n0:deviceID>` +
      `<n0:timeStart>${whenIso}</n0:timeStart><n0:timeEnd>${whenIso}</n0:timeEnd>` +
      `<n0:username>${xml(user.username)}</n0:username><n0:userID>${xml(user.id)}</n0:userID>` +
      `<n0:instanceID>${formId}</n0:instanceID></n0:meta></data>`,
  };
}
