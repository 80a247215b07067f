/**
 * SQL identifiers for report queries. Identifiers never come from a request, only from configuration
 * and the data source's column list; they are still validated and always quoted, so no configuration
 * can reach SQL unquoted.
 */

// PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated by the server.
const maxIdentifierBytes = 63;

/** `"name"`, with embedded quotes doubled. Throws on NUL and on names PostgreSQL would truncate. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\0'))
    throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  if (Buffer.byteLength(name, 'utf8') > maxIdentifierBytes) {
    throw new Error(`SQL identifier longer than ${maxIdentifierBytes} bytes: ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}
