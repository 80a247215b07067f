/**
 * Who may submit to which domain: mobile users and domains as CommCare keeps them in CouchDB
 * (`CommCareUser` documents in the users database, `Domain` documents in the main one), read
 * through a Redis cache so a busy receiver does not query CouchDB per request. Redis is only a
 * cache: when it is down the directory reads CouchDB directly.
 */
import type { Redis } from 'ioredis';
import { RetryableError } from '../../runtime/contract/index.js';

/** A mobile user as the receiver needs it. */
export interface MobileUser {
  id: string;
  /** The full username, `name@domain.commcarehq.org` for CommCare mobile users. */
  username: string;
  domain: string;
  /** `scrypt$…` (password-hash.ts); null for a user without a password. */
  passwordHash: string | null;
  /** sha256 hex digests of the user's API keys. */
  apiKeyHashes: string[];
  isActive: boolean;
}

export interface UserDirectory {
  domainExists(domain: string): Promise<boolean>;
  /** The user named `username` (full, or short within `domain`), or null. */
  findUser(username: string, domain: string): Promise<MobileUser | null>;
  /**
   * Users (ids or usernames; `*` for all) who may submit forms on behalf of other users of the
   * domain: the Domain document's `proxy_submitters`. None when the directory does not say.
   */
  proxySubmitters?(domain: string): Promise<string[]>;
}

export interface CouchDirectoryOptions {
  couchUrl: string;
  usersDatabase: string;
  domainsDatabase: string;
  redis?: Redis | undefined;
  /** How long Redis keeps an answer. */
  cacheTtlSeconds: number;
}

/** The username a short mobile username stands for in a domain (CommCare's convention). */
export function fullMobileUsername(username: string, domain: string): string {
  return username.includes('@') ? username : `${username}@${domain}.commcarehq.org`;
}

interface CouchUserDoc {
  _id: string;
  doc_type?: string;
  username?: string;
  domain?: string;
  password?: string;
  api_keys?: string[];
  is_active?: boolean;
}

export class CouchUserDirectory implements UserDirectory {
  // Within one process, answers are reused for a few seconds before asking Redis again.
  private readonly memo = new Map<string, { value: unknown; until: number }>();
  private readonly memoMs = 5_000;

  constructor(private readonly options: CouchDirectoryOptions) {}

  async domainExists(domain: string): Promise<boolean> {
    return (await this.domainDoc(domain)) !== null;
  }

  async proxySubmitters(domain: string): Promise<string[]> {
    return (await this.domainDoc(domain))?.proxySubmitters ?? [];
  }

  /** What the receiver reads of a Domain document; null when there is none. */
  private domainDoc(domain: string): Promise<{ proxySubmitters: string[] } | null> {
    return this.cached(`domain-doc:${domain}`, async () => {
      const docs = (await this.find(this.options.domainsDatabase, { doc_type: 'Domain', name: domain })) as {
        proxy_submitters?: unknown;
      }[];
      const doc = docs[0];
      if (!doc) return null;
      const proxies = Array.isArray(doc.proxy_submitters) ? doc.proxy_submitters : [];
      return { proxySubmitters: proxies.filter((p): p is string => typeof p === 'string') };
    });
  }

  async findUser(username: string, domain: string): Promise<MobileUser | null> {
    const full = fullMobileUsername(username, domain);
    return this.cached(`user:${full}`, async () => {
      const docs = (await this.find(this.options.usersDatabase, {
        doc_type: 'CommCareUser',
        username: full,
      })) as CouchUserDoc[];
      const doc = docs[0];
      if (!doc || typeof doc.domain !== 'string') return null;
      return {
        id: doc._id,
        username: full,
        domain: doc.domain,
        passwordHash: typeof doc.password === 'string' ? doc.password : null,
        apiKeyHashes: Array.isArray(doc.api_keys) ? doc.api_keys.filter((k) => typeof k === 'string') : [],
        isActive: doc.is_active !== false,
      } satisfies MobileUser;
    });
  }

  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.memo.get(key);
    if (hit && hit.until > now) return hit.value as T;
    const redisKey = `tributary:directory:${key}`;
    const { redis, cacheTtlSeconds } = this.options;
    let value: T | undefined;
    if (redis) {
      const text = await redis.get(redisKey).catch(() => null);
      if (text !== null) value = JSON.parse(text) as T;
    }
    if (value === undefined) {
      value = await load();
      if (redis)
        await redis.set(redisKey, JSON.stringify(value), 'EX', cacheTtlSeconds).catch(() => undefined);
    }
    if (this.memo.size > 10_000) this.memo.clear();
    this.memo.set(key, { value, until: now + this.memoMs });
    return value;
  }

  private async find(database: string, selector: Record<string, unknown>): Promise<unknown[]> {
    const url = new URL(`${encodeURIComponent(database)}/_find`, this.options.couchUrl.replace(/\/?$/, '/'));
    // fetch refuses URLs with credentials: they travel in the Authorization header instead.
    url.username = '';
    url.password = '';
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authorization(this.options.couchUrl) },
        body: JSON.stringify({ selector, limit: 2 }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new RetryableError(`CouchDB (${url.host}) did not answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // A database that does not exist yet simply has no users or domains in it.
    if (response.status === 404) return [];
    if (!response.ok)
      throw new RetryableError(`CouchDB answered ${response.status} to a directory query on ${database}.`);
    const body = (await response.json()) as { docs?: unknown[] };
    return body.docs ?? [];
  }
}

function authorization(couchUrl: string): Record<string, string> {
  const url = new URL(couchUrl);
  if (!url.username) return {};
  const token = Buffer.from(
    `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
  ).toString('base64');
  return { authorization: `Basic ${token}` };
}
