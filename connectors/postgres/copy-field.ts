/** JavaScript values as fields of PostgreSQL's COPY text format (`COPY … FROM STDIN`, tab-delimited). */

/**
 * JSON text to write as it is: a document that arrived as JSON and was not changed on the way,
 * so it need not be serialised again (what `toJson` and `copyField` give for it is its text).
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * One field of a COPY text line: `\N` for null or undefined, JSON text for any value going into a
 * json/jsonb column (`json`), otherwise the value's text with backslash, tab, newline and carriage
 * return escaped. Dates are ISO 8601 in UTC, bigints and numbers their decimal text, booleans `t`/`f`,
 * buffers bytea hex, arrays PostgreSQL array literals and other objects JSON text.
 * Throws for a value JSON cannot represent (a cycle).
 */
export function copyField(value: unknown, json = false): string {
  if (value === null || value === undefined) return '\\N';
  if (json) return escapeCopy(toJson(value));
  switch (typeof value) {
    case 'string':
      return escapeCopy(value);
    case 'number':
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 't' : 'f';
    default:
      return escapeCopy(plainText(value));
  }
}

/** JSON text of `value`; bigints (which JSON.stringify refuses) as JSON numbers. */
export function toJson(value: unknown): string {
  if (value instanceof JsonText) return value.text;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    text = JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? bigintJson(v) : v));
  }
  // A function or a symbol has no JSON text.
  return text ?? 'null';
}

const rawJson = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;
const bigintJson = (v: bigint): unknown => (rawJson ? rawJson(v.toString()) : v.toString());

const special = /[\\\t\n\r]/;
const specialAll = /[\\\t\n\r]/g;
const escapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Text as COPY reads it back: the delimiter (tab), line breaks and the escape character escaped. */
export function escapeCopy(text: string): string {
  return special.test(text) ? text.replace(specialAll, (c) => escapes[c]!) : text;
}

/** A non-null value as PostgreSQL's input text for it (before COPY escaping). */
function plainText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 't' : 'f';
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array)
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (Array.isArray(value)) return arrayLiteral(value);
  return toJson(value);
}

/** `{…}` with every element double-quoted (quotes and backslashes escaped), NULL for null. */
function arrayLiteral(items: unknown[]): string {
  let text = '{';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i) text += ',';
    if (item === null || item === undefined) text += 'NULL';
    else if (Array.isArray(item)) text += arrayLiteral(item);
    else text += `"${plainText(item).replace(/["\\]/g, '\\$&')}"`;
  }
  return `${text}}`;
}
