/**
 * A case as CommCare's case search pillow indexes it (`corehq/pillows/case_search.py`): the case's
 * fields, its `indices`, and `case_properties`, a nested list of `{key, value}` with the system
 * properties first (`@case_id`, `@case_type`, `@owner_id`, `@status`, `name`, `case_name`,
 * `external_id`, `date_opened`, `closed_on`, `last_modified`) then every dynamic property, values
 * as text. The engine indexes each value as exact keyword, words, number, date; Tributary adds the
 * value's phonetic codes (`phonetic_value`, phonetic-codes.ts) and, for a value that is a GPS
 * point (`lat lon [alt acc]`), `geopoint_value`.
 */
import type { Case } from '../../../schemas/generated/case.js';
import { commcareDateTime } from '../../ucr/commcare-docs.js';
import { phoneticCodes } from '../phonetic-codes.js';

export interface CasePropertyEntry {
  key: string;
  value: string;
  phonetic_value?: string[];
  geopoint_value?: { lat: number; lon: number };
}

/** The system properties CommCare indexes as case properties (SPECIAL_CASE_PROPERTIES_MAP), in its order. */
export const specialCaseProperties = [
  '@case_id',
  '@case_type',
  '@owner_id',
  '@status',
  'name',
  'case_name',
  'external_id',
  'date_opened',
  'closed_on',
  'last_modified',
] as const;

const GEOPOINT = /^\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)(?:\s+-?\d+(?:\.\d+)?){0,2}\s*$/;

function geopoint(value: string): { lat: number; lon: number } | undefined {
  const match = GEOPOINT.exec(value);
  if (!match) return undefined;
  const lat = Number(match[1]);
  const lon = Number(match[2]);
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : undefined;
}

function entry(key: string, value: string | null): CasePropertyEntry {
  const text = value ?? '';
  const result: CasePropertyEntry = { key, value: text };
  const codes = phoneticCodes(text);
  if (codes.length) result.phonetic_value = codes;
  const point = geopoint(text);
  if (point) result.geopoint_value = point;
  return result;
}

function propertyText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

export function caseSearchIndexDoc(event: Case): Record<string, unknown> {
  const opened = commcareDateTime(event.opened_on);
  const modified = commcareDateTime(event.modified_on);
  const closedOn = commcareDateTime(event.closed_on);
  const special: Record<(typeof specialCaseProperties)[number], string | null> = {
    '@case_id': event.doc_id,
    '@case_type': event.case_type,
    '@owner_id': event.owner_id,
    '@status': event.closed ? 'closed' : 'open',
    name: event.name,
    case_name: event.name,
    external_id: event.external_id ?? '',
    date_opened: opened,
    closed_on: closedOn,
    last_modified: modified,
  };
  const dynamic = Object.entries(event.properties as Record<string, unknown>).map(([key, value]) =>
    entry(key, propertyText(value)),
  );
  return {
    doc_id: event.doc_id,
    doc_type: event.doc_type,
    domain: event.domain,
    type: event.case_type,
    name: event.name,
    owner_id: event.owner_id,
    opened_on: opened,
    opened_by: event.opened_by,
    modified_on: modified,
    server_modified_on: commcareDateTime(event.server_modified_on),
    user_id: event.modified_by,
    closed: event.closed,
    closed_on: closedOn,
    closed_by: event.closed_by,
    external_id: event.external_id,
    location_id: event.location_id,
    indices: event.indices.map((index) => ({
      doc_type: 'CommCareCaseIndex',
      identifier: index.identifier,
      referenced_id: index.referenced_id,
      referenced_type: index.referenced_type,
      relationship: index.relationship,
    })),
    '@indexed_on': commcareDateTime(event.changed_on),
    case_properties: [...specialCaseProperties.map((key) => entry(key, special[key])), ...dynamic],
  };
}
