/**
 * Reads a `multipart/form-data` body (RFC 7578) that is already in memory: the receiver caps the
 * body size before parsing, so a streaming parser would buy nothing here.
 */

/** One part of a multipart body. */
export interface MultipartPart {
  /** The `name` of its Content-Disposition (the form field). */
  name: string;
  /** The `filename`, when the part is a file. */
  filename: string | null;
  /** Its Content-Type; `text/plain` when absent (RFC 7578 §4.4). */
  contentType: string;
  data: Buffer;
}

/** The body is not the multipart document its Content-Type announces: answer 400. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

/** The boundary of a `multipart/form-data` Content-Type, or null for any other type. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (type !== 'multipart/form-data') return null;
  // A quoted boundary may hold `;` and spaces (RFC 2046 §5.1.1), so parameters are matched, not split.
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType.slice(semicolon));
  if (!match) throw new MultipartError('multipart/form-data without a boundary parameter.');
  const value = match[1] ?? match[2] ?? '';
  if (value.length === 0 || value.length > 70) {
    throw new MultipartError('The multipart boundary is empty or longer than 70 characters.');
  }
  return value;
}

const crlf = Buffer.from('\r\n');
const headerEnd = Buffer.from('\r\n\r\n');

/** Splits a body into its parts, in order; throws MultipartError when it is not well formed. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('The body does not contain the multipart boundary.');
  for (;;) {
    at += delimiter.length;
    // `--` after a delimiter closes the body; anything after it is an epilogue to ignore.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts;
    // Transport padding (spaces, tabs) may follow a delimiter before its line break.
    while (body[at] === 0x20 || body[at] === 0x09) at++;
    if (!body.subarray(at, at + 2).equals(crlf))
      throw new MultipartError('A multipart delimiter is not followed by a line break.');
    at += 2;
    const headersEnd = body.indexOf(headerEnd, at);
    if (headersEnd < 0) throw new MultipartError('A multipart part has no end of headers.');
    const headers = parseHeaders(body.subarray(at, headersEnd).toString('utf8'));
    const dataStart = headersEnd + 4;
    const next = body.indexOf(Buffer.concat([crlf, delimiter]), dataStart);
    if (next < 0) throw new MultipartError('The multipart body ends before its closing boundary.');
    parts.push(partOf(headers, body.subarray(dataStart, next)));
    at = next + 2;
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line.length === 0) continue;
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new MultipartError(
        `A multipart part has a malformed header line: ${JSON.stringify(line.slice(0, 80))}.`,
      );
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function partOf(headers: Map<string, string>, data: Buffer): MultipartPart {
  const disposition = headers.get('content-disposition');
  if (!disposition) throw new MultipartError('A multipart part has no Content-Disposition header.');
  const params = dispositionParams(disposition);
  const name = params.get('name');
  if (name === undefined)
    throw new MultipartError('A multipart part has no name in its Content-Disposition.');
  return {
    name,
    filename: params.get('filename') ?? null,
    contentType: headers.get('content-type') ?? 'text/plain',
    data,
  };
}

/** `form-data; name="a"; filename="b.xml"` → {name: a, filename: b.xml}; quoted values may hold `;`. */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of value.matchAll(pattern)) {
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!.trim();
    params.set(match[1]!.toLowerCase(), raw);
  }
  return params;
}
