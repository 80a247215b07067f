/**
 * Records as the API answers them, the same whether they come from an index (the lists) or from
 * the primary store (`/api/cases/{id}`, `/api/forms/{id}`, which answer while the search engine is
 * down): a case in CommCare's case API shape, a form as its `forms` index document.
 */
import type { Case } from '../../schemas/generated/case.js';
import type { Form } from '../../schemas/generated/form.js';
import { caseSearchIndexDoc, specialCaseProperties } from './documents/case-search-index-doc.js';
import { formsIndexDoc } from './documents/forms-index-doc.js';

export interface ApiCase {
  domain: string;
  case_id: string;
  case_type: string;
  case_name: string | null;
  external_id: string | null;
  owner_id: string;
  date_opened: string | null;
  last_modified: string | null;
  server_last_modified: string | null;
  closed: boolean;
  date_closed: string | null;
  properties: Record<string, string>;
  indices: Record<string, { case_id: string; case_type: string; relationship: string }>;
}

const special = new Set<string>(specialCaseProperties);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** A case from its `case_search` document source. */
export function apiCaseOf(source: Record<string, unknown>): ApiCase {
  const properties: Record<string, string> = {};
  for (const entry of (source.case_properties ?? []) as { key: string; value: string }[]) {
    if (!special.has(entry.key)) properties[entry.key] = entry.value;
  }
  const indices: ApiCase['indices'] = {};
  for (const index of (source.indices ?? []) as Record<string, string>[]) {
    if (index.referenced_id) {
      indices[index.identifier!] = {
        case_id: index.referenced_id,
        case_type: index.referenced_type ?? '',
        relationship: index.relationship ?? 'child',
      };
    }
  }
  return {
    domain: String(source.domain),
    case_id: String(source.doc_id),
    case_type: String(source.type),
    case_name: text(source.name),
    external_id: text(source.external_id),
    owner_id: String(source.owner_id),
    date_opened: text(source.opened_on),
    last_modified: text(source.modified_on),
    server_last_modified: text(source.server_modified_on),
    closed: source.closed === true,
    date_closed: text(source.closed_on),
    properties,
    indices,
  };
}

/** A case from its latest change event (the primary store keeps it). */
export function apiCaseOfEvent(event: Case): ApiCase {
  return apiCaseOf(caseSearchIndexDoc(event));
}

/** A form from its `forms` document source, with `id` first. */
export function apiFormOf(source: Record<string, unknown>): Record<string, unknown> {
  const { __is_tombstone__: _tombstone, ...rest } = source;
  return { id: source.doc_id, ...rest };
}

export function apiFormOfEvent(event: Form): Record<string, unknown> {
  return apiFormOf(formsIndexDoc(event));
}
