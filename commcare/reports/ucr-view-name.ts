/**
 * Where readers find a UCR data source: the view the UCR pipeline keeps current, named by the one
 * rule in commcare/ucr/ucr-table-names.ts. Reports only add their own messages for ids a URL or a
 * report configuration cannot use.
 */
import { ucrViewName as pipelineViewName } from '../ucr/ucr-table-names.js';

export { ucrSchema } from '../ucr/ucr-table-names.js';

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
  return pipelineViewName(domain, tableId);
}
