/**
 * The admin API on the metrics port (as Kafka Connect's REST API on its own): the status of each
 * pipeline of this process, pause and resume, and its dead letters. Every request needs
 * `Authorization: Bearer <token>` with the token from the environment (TRIBUTARY_ADMIN_TOKEN); with
 * no token configured the API is off and answers 403 saying so. The CLI provides the operations.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface AdminOperations {
  /** Names of the pipelines this process runs. */
  names(): string[];
  /** The status model of `tributary status --json`, plus this worker's own view; undefined when unknown. */
  status(name: string): Promise<unknown>;
  pause(name: string): void;
  resume(name: string): void;
  deadLetters(name: string, options: { limit: number; pendingOnly: boolean }): Promise<unknown[]>;
}

export interface AdminApi {
  /** The bearer token; undefined or empty turns the API off. */
  token: string | undefined;
  operations: AdminOperations;
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));

function authorised(request: IncomingMessage, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Answers `/pipelines…` requests; returns false for any other path. */
export function handleAdminRequest(
  api: AdminApi,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): boolean {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'pipelines' || parts.length > 3) return false;
  if (!api.token) {
    json(response, 403, { error: 'the admin API is off: set TRIBUTARY_ADMIN_TOKEN to turn it on' });
    return true;
  }
  if (!authorised(request, api.token)) {
    response.setHeader('www-authenticate', 'Bearer realm="tributary-admin"');
    json(response, 401, { error: 'expected Authorization: Bearer <TRIBUTARY_ADMIN_TOKEN>' });
    return true;
  }
  route(api.operations, request.method ?? 'GET', parts, url).then(
    ([status, body]) => json(response, status, body),
    (error: unknown) =>
      json(response, 500, { error: error instanceof Error ? error.message : String(error) }),
  );
  return true;
}

async function route(
  ops: AdminOperations,
  method: string,
  [, name, action]: string[],
  url: URL,
): Promise<[number, unknown]> {
  if (name === undefined) {
    if (method !== 'GET') return [405, { error: 'GET /pipelines' }];
    return [200, await Promise.all(ops.names().map((n) => ops.status(n)))];
  }
  if (!ops.names().includes(name))
    return [404, { error: `no pipeline '${name}' in this process (pipelines: ${ops.names().join(', ')})` }];
  if (action === undefined && method === 'GET') return [200, await ops.status(name)];
  if ((action === 'pause' || action === 'resume') && method === 'POST') {
    if (action === 'pause') ops.pause(name);
    else ops.resume(name);
    return [200, { pipeline: name, paused: action === 'pause' }];
  }
  if (action === 'dead-letters' && method === 'GET') {
    const limit = Number(url.searchParams.get('limit') ?? '100');
    if (!Number.isInteger(limit) || limit < 1) return [400, { error: 'limit: expected a positive integer' }];
    const pendingOnly = url.searchParams.get('pending') === 'true';
    return [200, await ops.deadLetters(name, { limit, pendingOnly })];
  }
  return [
    405,
    { error: 'expected GET /pipelines/{name}, POST /pipelines/{name}/pause|resume or GET …/dead-letters' },
  ];
}
