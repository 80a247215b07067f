/**
 * Where readers find a UCR data source: the view kept current by the UCR pipeline. The naming rule
 * is the pipeline's (connectors/ucr/ucr-table-names.ts), repeated here because processors do not
 * import connectors: `<domain>_<table_id>`, and a name over 63 bytes keeps its left part and ends in
 * `_` + 8 hex of the sha1 of the full name, as CommCare does.
 */
import { createHash } from 'node:crypto';

/** The schema every UCR data source view lives in. */
export const ucrSchema = 'tributary_ucr';

const maxIdentifierBytes = 63;
const allowed = /^[A-Za-z0-9_-]+$/;

/** True when the domain can name a view (and so a report URL); anything else is simply unknown. */
export function isValidDomain(domain: string): boolean {
  return allowed.test(domain);
}

/** True when the table id (a report's `config_id`) can name a view. */
export function isValidTableId(tableId: string): boolean {
  return allowed.test(tableId);
}

/** The view's name, unquoted, inside `ucrSchema`. Throws for a domain or table id outside `[A-Za-z0-9_-]+`. */
export function ucrViewName(domain: string, tableId: string): string {
  if (!isValidDomain(domain)) throw new Error(`invalid domain ${JSON.stringify(domain)}`);
  if (!isValidTableId(tableId)) throw new Error(`invalid table id ${JSON.stringify(tableId)}`);
  const name = `${domain}_${tableId}`;
  // Only ASCII passes the check above, so characters are bytes.
  if (name.length <= maxIdentifierBytes) return name;
  const suffix = `_${createHash('sha1').update(name, 'utf8').digest('hex').slice(0, 8)}`;
  return name.slice(0, maxIdentifierBytes - suffix.length) + suffix;
}
