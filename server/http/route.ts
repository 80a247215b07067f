/**
 * What an HTTP surface of `tributary serve` declares: route modules, each a list of routes with
 * their method, path pattern, who may call them and a handler. The server (http-server.ts) matches,
 * authenticates and turns errors into answers, once for every module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../runtime/contract/index.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who called, once the server has authenticated a `domain-user` route. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  domain: string;
  /** How they proved it: a password (HTTP Basic), an API key, or a browser session. */
  method: 'basic' | 'apikey' | 'session';
}

export interface RouteRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Path parameters (`:name` in the pattern), already URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly logger: Logger;
}

/** A request to a route under `/a/:domain/` that only users of that domain may call. */
export interface DomainRequest extends RouteRequest {
  readonly domain: string;
  readonly user: AuthenticatedUser;
}

interface RouteBase {
  method: HttpMethod | readonly HttpMethod[];
  /** `/a/:domain/reports/:reportId/data`; a `:name` segment matches one path segment. */
  path: string;
  /** One line for the route list of `tributary serve --help` and the docs. */
  summary: string;
  /**
   * What a caller does here, worded to fit "User u may not <action> domain d." in a 403 (e.g.
   * `submit forms to`, `read reports of`); `use` when absent. Added so that a refusal names what
   * was asked rather than always "submit".
   */
  action?: string;
}

export interface PublicRoute extends RouteBase {
  access: 'public';
  handle(request: RouteRequest): Promise<void>;
}

/** The path must contain `:domain`; the server answers 404 for an unknown domain and 401/403 before the handler runs. */
export interface DomainRoute extends RouteBase {
  access: 'domain-user';
  handle(request: DomainRequest): Promise<void>;
}

export type Route = PublicRoute | DomainRoute;

/** How a module writes a refusal on its routes (the receiver answers OpenRosa XML; JSON otherwise). */
export type ErrorWriter = (
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>>,
  details: Readonly<Record<string, unknown>>,
) => void;

export interface RouteModule {
  name: string;
  routes: readonly Route[];
  writeError?: ErrorWriter;
  close?(): Promise<void>;
}
