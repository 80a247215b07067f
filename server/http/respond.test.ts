import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from './http-error.js';
import { readBody, send } from './respond.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    readBody(req, res, 1000).then(
      (body) => send(res, 200, 'text/plain', `read ${body.length}`),
      (error: unknown) =>
        send(res, error instanceof HttpError ? error.status : 500, 'text/plain', String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** POSTs `chunks` without a content-length (chunked), one write each; the status and body answered. */
function post(chunks: string[]): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('readBody', () => {
  it('reads a body sent in several chunks whole', async () => {
    expect(await post(['a'.repeat(400), 'b'.repeat(400)])).toMatchObject({ status: 200, body: 'read 800' });
  });

  it('refuses a body that passes the limit without declaring its length: 413, and the connection closes', async () => {
    const answer = await post(['a'.repeat(600), 'b'.repeat(600)]);
    expect(answer).toMatchObject({ status: 413, connection: 'close' });
    expect(answer.body).toContain('larger than 1000 bytes');
  });
});
