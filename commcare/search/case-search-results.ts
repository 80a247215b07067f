/**
 * Case search answers as a device reads them: CommCare's casedb `<results id="case">` fixture
 * (`<case case_id case_type owner_id status>` with `case_name`, `date_opened`, `last_modified`,
 * `external_id`, one element per property, and `<index>`), or the same cases as JSON
 * (`{total, cases: [{case_id, case_type, owner_id, status, properties, indices}]}`), both from
 * `case_search` documents.
 */
import { specialCaseProperties } from './documents/case-search-index-doc.js';

export interface SearchCase {
  case_id: string;
  case_type: string;
  owner_id: string;
  status: 'open' | 'closed';
  /** `case_name`, `date_opened`, `last_modified`, `external_id` (when set), then the case's own properties. */
  properties: Record<string, string>;
  indices: Record<string, { case_id: string; case_type: string; relationship: string }>;
}

const special = new Set<string>(specialCaseProperties);
const str = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';

/** A case as a `case_search` document's source describes it. */
export function searchCaseOf(source: Record<string, unknown>): SearchCase {
  const entries = (source.case_properties ?? []) as { key: string; value: string }[];
  const properties: Record<string, string> = {
    case_name: str(source.name),
    date_opened: str(source.opened_on).slice(0, 10),
    last_modified: str(source.modified_on),
  };
  if (source.external_id) properties.external_id = str(source.external_id);
  for (const entry of entries) if (!special.has(entry.key)) properties[entry.key] = str(entry.value);
  const indices: SearchCase['indices'] = {};
  for (const index of (source.indices ?? []) as Record<string, string>[]) {
    if (!index.referenced_id) continue;
    indices[index.identifier!] = {
      case_id: index.referenced_id,
      case_type: str(index.referenced_type),
      relationship: str(index.relationship) || 'child',
    };
  }
  return {
    case_id: str(source.doc_id),
    case_type: str(source.type),
    owner_id: str(source.owner_id),
    status: source.closed ? 'closed' : 'open',
    properties,
    indices,
  };
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[ch]};`,
  );
}

function caseElement(c: SearchCase): string {
  const attrs = `case_id="${escapeXml(c.case_id)}" case_type="${escapeXml(c.case_type)}" owner_id="${escapeXml(c.owner_id)}" status="${c.status}"`;
  // Properties whose names cannot be XML element names are left out, as a device could not read them.
  const properties = Object.entries(c.properties)
    .filter(([name]) => XML_NAME.test(name) && !name.toLowerCase().startsWith('xml'))
    .map(([name, value]) => (value === '' ? `<${name}/>` : `<${name}>${escapeXml(value)}</${name}>`));
  const indices = Object.entries(c.indices)
    .filter(([identifier]) => XML_NAME.test(identifier))
    .map(
      ([identifier, index]) =>
        `<${identifier} case_type="${escapeXml(index.case_type)}" relationship="${escapeXml(index.relationship)}">${escapeXml(index.case_id)}</${identifier}>`,
    );
  const indexBlock = indices.length ? `<index>${indices.join('')}</index>` : '';
  return `<case ${attrs}>${properties.join('')}${indexBlock}</case>`;
}

/** CommCare's `<results id="case">` fixture of the cases. */
export function caseResultsXml(cases: readonly SearchCase[]): string {
  return `<?xml version='1.0' encoding='utf-8'?>\n<results id="case">${cases.map(caseElement).join('')}</results>\n`;
}
