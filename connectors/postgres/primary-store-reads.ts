/**
 * Single records from the primary store, as their latest change event: what `/api/cases/{id}` and
 * `/api/forms/{id}` answer from, so they keep answering while the search engine is down. A deleted
 * document, or one of another domain, is not found.
 */
import type { Case } from '../../schemas/generated/case.js';
import type { Form } from '../../schemas/generated/form.js';
import { primaryStoreTables } from './primary-store.js';

interface Reader {
  oneOrNone<T>(query: string, values?: unknown): Promise<T | null>;
}

/** The case's latest event; null when there is no such live case in the domain (or no primary store yet). */
export async function storedCase(db: Reader, domain: string, caseId: string): Promise<Case | null> {
  const row = await db
    .oneOrNone<{ event: Case }>(
      `SELECT event FROM ${primaryStoreTables.cases} WHERE case_id = $1 AND domain = $2 AND NOT deleted`,
      [caseId, domain],
    )
    .catch(missingStore);
  return row?.event ?? null;
}

/** The form's latest event; null when there is no such form in the domain (deleted forms are not found). */
export async function storedForm(db: Reader, domain: string, formId: string): Promise<Form | null> {
  const row = await db
    .oneOrNone<{ event: Form }>(
      `SELECT event FROM ${primaryStoreTables.forms} WHERE form_id = $1 AND domain = $2 AND state <> 'deleted'`,
      [formId, domain],
    )
    .catch(missingStore);
  return row?.event ?? null;
}

// A server that never received a submission has no primary store yet: nothing is found.
function missingStore(error: unknown): null {
  if ((error as { code?: string }).code === '42P01') return null;
  throw error;
}
