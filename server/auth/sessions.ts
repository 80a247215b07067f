/**
 * Browser sessions, stored in Redis as CommCare stores its sessions: a random id in a cookie
 * (HttpOnly, SameSite=Lax, Secure, Path=/), the user and a CSRF token server-side, expiring after
 * `ttlSeconds` without use. The cookie carries nothing but the id.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import type { AuthenticatedUser } from '../http/route.js';

export const sessionCookieName = 'tributary_session';

export interface Session {
  id: string;
  user: AuthenticatedUser;
  csrf: string;
  createdAt: string;
}

export function readCookies(req: IncomingMessage): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return cookies;
}

/** Equal strings, compared in constant time. */
export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const newToken = () => randomBytes(32).toString('base64url');

/** A Set-Cookie value with the attributes every cookie of ours carries. */
export function cookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${maxAgeSeconds}`;
}

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'tributary:',
    readonly ttlSeconds = 12 * 3600,
  ) {}

  private key(id: string): string {
    return `${this.prefix}session:${id}`;
  }

  async create(user: AuthenticatedUser): Promise<Session> {
    const session: Session = {
      id: newToken(),
      user: { ...user, method: 'session' },
      csrf: newToken(),
      createdAt: new Date().toISOString(),
    };
    await this.redis.set(this.key(session.id), JSON.stringify(session), 'EX', this.ttlSeconds);
    return session;
  }

  /** The request's session (and its use extends it), or null. */
  async of(req: IncomingMessage): Promise<Session | null> {
    const id = readCookies(req).get(sessionCookieName);
    if (!id || !/^[A-Za-z0-9_-]{20,100}$/.test(id)) return null;
    const json = await this.redis.getex(this.key(id), 'EX', this.ttlSeconds);
    return json ? (JSON.parse(json) as Session) : null;
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}
