/**
 * The one way a name enters SQL: double-quoted, embedded quotes doubled, after checking it is a
 * name PostgreSQL keeps as written. Names come from configuration (data source and report ids,
 * column ids), never from a request; they are still checked and quoted everywhere.
 */

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes: longer names are cut silently. */
export const maxIdentifierBytes = 63;

export class SqlIdentifierError extends Error {
  override readonly name = 'SqlIdentifierError';
}

/** `"name"`. Throws SqlIdentifierError for an empty name, a NUL, or more than 63 bytes. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\0'))
    throw new SqlIdentifierError(`invalid SQL identifier ${JSON.stringify(name)}`);
  if (Buffer.byteLength(name, 'utf8') > maxIdentifierBytes)
    throw new SqlIdentifierError(
      `SQL identifier longer than ${maxIdentifierBytes} bytes: ${JSON.stringify(name)}`,
    );
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}
