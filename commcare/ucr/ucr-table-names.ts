/**
 * How UCR tables are named in PostgreSQL (fixed: report readers rely on it). Pure, so the table
 * writer (connectors/ucr) and the reports (commcare/reports) share this one rule. Every data
 * source has a view `"tributary_ucr"."<domain>_<table_id>"` that always points at its live
 * physical table `<domain>_<table_id>_<first 8 hex of the definition hash>`. Names longer than
 * PostgreSQL's 63 bytes keep their left part and end in `_` + 8 hex of the sha1 of the full name,
 * as CommCare does. Identifiers are validated before any name is built, and every name is quoted
 * where it is used, by the one `quoteIdentifier` (commcare/sql).
 */
import { createHash } from 'node:crypto';
import { maxIdentifierBytes, qualifiedName } from '../sql/quote-identifier.js';

export { maxIdentifierBytes, quoteIdentifier } from '../sql/quote-identifier.js';

/** The schema holding the UCR tables, their views and the catalog. */
export const ucrSchema = 'tributary_ucr';

/** The schema holding one version table per physical table (same name), for the version guard. */
export const ucrVersionsSchema = 'tributary_ucr_versions';

const allowed = /^[A-Za-z0-9_-]+$/;

/** Thrown for a domain or table id that could not safely name a table. */
export class UcrNameError extends Error {
  override readonly name = 'UcrNameError';
}

/**
 * Checks a domain or table id: one or more of `[A-Za-z0-9_-]`, nothing else (no quotes, dots,
 * spaces or NUL), so no configuration can smuggle SQL through a name. Throws UcrNameError.
 */
export function validateUcrIdentifier(what: 'domain' | 'table_id', value: unknown): string {
  if (typeof value !== 'string' || !allowed.test(value)) {
    throw new UcrNameError(
      `${what} ${JSON.stringify(value)} is not allowed: use letters, digits, '_' and '-' only`,
    );
  }
  return value;
}

/** `name` when it fits 63 bytes, else its left part + `_` + 8 hex of sha1(name), 63 bytes in all. */
export function truncateIdentifier(name: string, max = maxIdentifierBytes): string {
  if (Buffer.byteLength(name, 'utf8') <= max) return name;
  const suffix = `_${createHash('sha1').update(name, 'utf8').digest('hex').slice(0, 8)}`;
  let left = name;
  // Names are ASCII after validation; cutting by characters is cutting by bytes.
  while (Buffer.byteLength(left, 'utf8') > max - suffix.length) left = left.slice(0, -1);
  return left + suffix;
}

/** The reader-facing view name of a data source (unquoted, inside `ucrSchema`). */
export function ucrViewName(domain: string, tableId: string): string {
  validateUcrIdentifier('domain', domain);
  validateUcrIdentifier('table_id', tableId);
  return truncateIdentifier(`${domain}_${tableId}`);
}

/** The physical table of one definition of a data source (unquoted, inside `ucrSchema`). */
export function ucrPhysicalTableName(domain: string, tableId: string, definitionHash: string): string {
  validateUcrIdentifier('domain', domain);
  validateUcrIdentifier('table_id', tableId);
  if (!/^[0-9a-f]{8,}$/i.test(definitionHash)) {
    throw new UcrNameError(`definition hash ${JSON.stringify(definitionHash)} is not hex`);
  }
  return truncateIdentifier(`${domain}_${tableId}_${definitionHash.slice(0, 8).toLowerCase()}`);
}

/** `"tributary_ucr"."name"`. */
export function ucrQualified(name: string, schema = ucrSchema): string {
  return qualifiedName(schema, name);
}

/** The key that routes a data source's records to the sink: `<domain>/<table_id>@<definition hash>`. */
export function ucrDataSourceKey(domain: string, tableId: string, definitionHash: string): string {
  return `${domain}/${tableId}@${definitionHash}`;
}
