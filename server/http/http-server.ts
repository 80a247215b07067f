/**
 * The one HTTP server of `tributary serve`: node:http, with the routes of every module mounted on
 * one port. Matching, authentication of `domain-user` routes and turning errors into answers happen
 * here once: a route handler only writes its success, or throws an HttpError (its refusal), a
 * retryable error (503 with Retry-After: the client tries again) or anything else (a 500, logged:
 * a bug).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isRetryable, type Logger } from '../../runtime/contract/index.js';
import { HttpError } from './http-error.js';
import { send, writeJsonError } from './respond.js';
import type { AuthenticatedUser, ErrorWriter, RouteModule } from './route.js';
import { Router } from './router.js';

export type AuthOutcome =
  | { ok: true; user: AuthenticatedUser }
  | { ok: false; status: number; message: string; headers?: Record<string, string> };

/** What a request to a `domain-user` route is for, so a refusal can name it. */
export interface AuthPurpose {
  /** The route's `action` ("submit forms to", "read reports of"), `use` when it declares none. */
  action: string;
}

/** Who may call `domain-user` routes. */
export interface Authenticator {
  domainExists(domain: string): Promise<boolean>;
  /** 401 (with a challenge), 403 worded with `purpose.action`, or 429 (with Retry-After) when throttled. */
  authenticate(req: IncomingMessage, domain: string, purpose: AuthPurpose): Promise<AuthOutcome>;
}

export interface HttpServerOptions {
  modules: readonly RouteModule[];
  authenticator: Authenticator;
  logger: Logger;
}

/** CommCare's project space names: what may be looked up at all. */
const domainName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function createHttpServer(options: HttpServerOptions): { server: Server; router: Router } {
  const router = new Router(options.modules);
  const server = createServer((req, res) => {
    void answer(router, options, req, res);
  });
  // Devices and load balancers keep connections open between requests.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return { server, router };
}

async function answer(
  router: Router,
  options: HttpServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let writeError: ErrorWriter = writeJsonError;
  try {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://tributary');
    } catch {
      throw new HttpError(400, 'The request URL cannot be read.');
    }
    if (url.pathname === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    const match = router.match(req.method ?? 'GET', url.pathname);
    if (!match) throw new HttpError(404, `Nothing here: ${url.pathname}`);
    writeError = match.module.writeError ?? writeJsonError;
    const { route, params } = match;
    const base = { req, res, url, params, logger: options.logger };
    if (route.access === 'public') return await route.handle(base);
    const domain = params.domain;
    if (domain === undefined) throw new Error(`route ${route.path} is domain-user but has no :domain`);
    if (!domainName.test(domain) || !(await options.authenticator.domainExists(domain)))
      throw new HttpError(404, `No domain named ${domain}.`);
    const outcome = await options.authenticator.authenticate(req, domain, {
      action: route.action ?? 'use',
    });
    if (!outcome.ok) throw new HttpError(outcome.status, outcome.message, outcome.headers ?? {});
    await route.handle({ ...base, domain, user: outcome.user });
  } catch (error) {
    writeFailure(error, req, res, writeError, options.logger);
  }
}

function writeFailure(
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  writeError: ErrorWriter,
  logger: Logger,
): void {
  if (res.headersSent) {
    logger.error({ err: error, url: req.url }, 'A request failed after its answer had started.');
    res.destroy();
    return;
  }
  // A refusal may come before the body was read: let the client finish sending it.
  if (!req.complete && res.getHeader('connection') !== 'close') req.resume();
  if (error instanceof HttpError)
    return writeError(res, error.status, error.message, error.headers, error.details);
  if (isRetryable(error)) {
    logger.warn({ err: error, url: req.url }, 'A store is unavailable; the client is asked to retry.');
    return writeError(
      res,
      503,
      'A store is unavailable right now; try again later.',
      { 'retry-after': '5' },
      {},
    );
  }
  logger.error({ err: error, url: req.url }, 'A request failed: this is a bug.');
  writeError(res, 500, 'Internal error.', {}, {});
}
