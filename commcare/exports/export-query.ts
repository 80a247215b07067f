/**
 * Which documents an export reads: its case type or form xmlns in its domain, narrowed by the
 * filters of the request (CommCare's export filter form: date range, users, groups, locations,
 * owner, open/closed) and the instance's saved filters (daily saved exports). A connector turns it
 * into bound SQL; nothing here touches a store.
 */
import type { ExportInstance } from './export-instance.js';

export interface ExportQuery {
  kind: 'case' | 'form';
  domain: string;
  /** Case type or xmlns. */
  identifier: string;
  /** Forms: received_on; cases: modified_on (CommCare filters cases on last modified). */
  dateFrom: number | null;
  /** Exclusive end, epoch ms. */
  dateTo: number | null;
  /** Forms submitted by these users; cases modified by them. Empty: no filter. */
  userIds: string[];
  /** Cases owned by these users, groups or locations; forms of users in them. Empty: no filter. */
  ownerIds: string[];
  status: 'all' | 'open' | 'closed';
}

/** A filter parameter that cannot be read: answer 400 naming it. */
export class ExportFilterError extends Error {
  override readonly name = 'ExportFilterError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/** The filter parameters a request may carry (query string or form fields). */
export const exportFilterParameters = [
  'date_start',
  'date_end',
  'users',
  'groups',
  'locations',
  'owners',
  'status',
] as const;

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

function dateParameter(name: string, value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new ExportFilterError(name, `expected a date YYYY-MM-DD, got "${value}"`);
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new ExportFilterError(name, `"${value}" is not a calendar date`);
  return ms;
}

const dayMs = 86_400_000;

/** The instance's saved date period (daily saved exports) as [from, to), relative to `nowMs`. */
function savedPeriod(instance: ExportInstance, nowMs: number): [number | null, number | null] {
  const period = instance.filters?.date_period;
  if (!period || period.period_type === 'all') return [null, null];
  const day = (iso: string | null | undefined) => (iso ? Date.parse(`${iso}T00:00:00Z`) : null);
  if (period.period_type === 'last') return [nowMs - (period.days ?? 30) * dayMs, null];
  if (period.period_type === 'since') return [day(period.begin), null];
  const end = day(period.end);
  return [day(period.begin), end === null ? null : end + dayMs];
}

/**
 * The query of one run: request parameters narrow the saved filters (both apply). Throws
 * ExportFilterError for a parameter that cannot be read; unknown parameters are refused too, so a
 * typo never exports everything.
 */
export function exportQuery(
  instance: ExportInstance,
  parameters: Readonly<Record<string, string | undefined>>,
  nowMs: number,
): ExportQuery {
  for (const name of Object.keys(parameters))
    if (!(exportFilterParameters as readonly string[]).includes(name))
      throw new ExportFilterError(
        name,
        `unknown filter; expected one of ${exportFilterParameters.join(', ')}`,
      );
  const status = parameters.status ?? 'all';
  if (status !== 'all' && status !== 'open' && status !== 'closed')
    throw new ExportFilterError('status', `expected all, open or closed, got "${status}"`);
  const start = dateParameter('date_start', parameters.date_start);
  const end = dateParameter('date_end', parameters.date_end);
  if (start !== null && end !== null && end < start)
    throw new ExportFilterError('date_end', 'is before date_start');
  const [savedFrom, savedTo] = savedPeriod(instance, nowMs);
  const saved = instance.filters;
  const userIds = [...list(parameters.users), ...(saved?.users ?? [])];
  const ownerIds = [
    ...list(parameters.owners),
    ...list(parameters.groups),
    ...list(parameters.locations),
    ...(saved?.reporting_groups ?? []),
    ...(saved?.sharing_groups ?? []),
    ...(saved?.locations ?? []),
  ];
  const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
  const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
  return {
    kind: instance.doc_type === 'CaseExportInstance' ? 'case' : 'form',
    domain: instance.domain,
    identifier: instance.doc_type === 'CaseExportInstance' ? instance.case_type : instance.xmlns,
    dateFrom: maxOf(start, savedFrom),
    dateTo: minOf(end === null ? null : end + dayMs, savedTo),
    userIds: [...new Set(userIds)],
    ownerIds: [...new Set(ownerIds)],
    status,
  };
}
