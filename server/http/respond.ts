/** Writing answers and reading bodies, the same way on every route. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.js';

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
    ...headers,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, {
    'cache-control': 'no-store',
    ...headers,
  });
}

/** The default refusal: `{ "error": message, …details }`. */
export function writeJsonError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>>,
  details: Readonly<Record<string, unknown>>,
): void {
  sendJson(res, status, { error: message, ...details }, headers);
}

/**
 * The whole body, refused with 413 as soon as it passes `limitBytes` (declared or actual); the rest
 * is not read and the connection is closed rather than drained.
 */
export async function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  limitBytes: number,
): Promise<Buffer> {
  const tooLarge = () => {
    res.setHeader('connection', 'close');
    return new HttpError(413, `The body is larger than ${limitBytes} bytes.`);
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > limitBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, length);
}
