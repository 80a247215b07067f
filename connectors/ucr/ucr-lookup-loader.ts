/**
 * Loads what UCR expressions look up outside the evaluated document, a batch at a time: forms,
 * cases, a case's subcases and forms from the primary store in PostgreSQL; other documents (users,
 * locations) from CouchDB, best effort. Answers are cached in process (LRU) and in Redis for a few
 * seconds, so a batch of events that share a parent case reads it once.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../runtime/contract/index.js';
import type { UcrLookupKey } from '../../commcare/ucr/contract.js';
import { changeEventOf } from '../../commcare/ucr/change-event-doc.js';
import { eventToDoc } from '../../commcare/ucr/event-to-doc.js';
import { lookupKeyId } from '../../commcare/ucr/ucr-catalog.js';
import type { Database } from '../postgres/postgres-pool.js';
import { primaryStoreTables } from '../postgres/primary-store.js';
import { directoryLookupKinds, loadDirectoryLookups } from './ucr-directory-lookups.js';

export interface UcrLookupLoaderOptions {
  /** Entries kept in process. */
  cacheEntries: number;
  /** How long an answer is reused (process and Redis), in seconds; 0 turns caching off. */
  cacheTtlSeconds: number;
  /** CouchDB server URL for users and locations; undefined skips them (null answers). */
  couchdbUrl?: string | undefined;
  /** CouchDB database per lookup kind (`user` → `users`…). */
  couchDatabases: Record<string, string>;
  logger: Logger;
}

interface Cached {
  value: unknown;
  until: number;
}

const docOfEvent = (event: unknown): unknown => {
  const change = changeEventOf(event);
  return change ? eventToDoc(change) : null;
};

export class UcrLookupLoader {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly db: Database,
    private readonly redis: Redis | undefined,
    private readonly options: UcrLookupLoaderOptions,
  ) {}

  /** One entry per key (null when the document does not exist). Rejects when PostgreSQL cannot answer. */
  async fetch(keys: readonly UcrLookupKey[]): Promise<Map<string, unknown>> {
    const found = new Map<string, unknown>();
    const now = Date.now();
    let wanted: UcrLookupKey[] = [];
    for (const key of keys) {
      const id = lookupKeyId(key);
      const hit = this.cache.get(id);
      if (hit && hit.until > now) {
        // Refresh its place in the LRU order.
        this.cache.delete(id);
        this.cache.set(id, hit);
        found.set(id, hit.value);
      } else wanted.push(key);
    }
    if (wanted.length && this.redis && this.options.cacheTtlSeconds > 0) {
      const texts = await this.redis
        .mget(wanted.map((key) => this.redisKey(key)))
        .catch(() => wanted.map(() => null));
      const rest: UcrLookupKey[] = [];
      wanted.forEach((key, i) => {
        const text = texts[i];
        if (typeof text === 'string') {
          const value: unknown = JSON.parse(text);
          found.set(lookupKeyId(key), value);
          this.remember(lookupKeyId(key), value);
        } else rest.push(key);
      });
      wanted = rest;
    }
    if (!wanted.length) return found;
    const loaded = await this.load(wanted);
    const pipeline = this.redis && this.options.cacheTtlSeconds > 0 ? this.redis.pipeline() : undefined;
    for (const key of wanted) {
      const id = lookupKeyId(key);
      const value = loaded.get(id) ?? null;
      found.set(id, value);
      this.remember(id, value);
      pipeline?.set(this.redisKey(key), JSON.stringify(value), 'EX', this.options.cacheTtlSeconds);
    }
    await pipeline?.exec().catch(() => undefined);
    return found;
  }

  private redisKey(key: UcrLookupKey): string {
    return `tributary:ucr:lookup:${key.kind}:${key.domain}:${key.id}`;
  }

  private remember(id: string, value: unknown): void {
    if (this.options.cacheTtlSeconds <= 0 || this.options.cacheEntries <= 0) return;
    this.cache.delete(id);
    this.cache.set(id, { value, until: Date.now() + this.options.cacheTtlSeconds * 1000 });
    while (this.cache.size > this.options.cacheEntries) {
      this.cache.delete(this.cache.keys().next().value!);
    }
  }

  private async load(keys: UcrLookupKey[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    const byKind = new Map<string, UcrLookupKey[]>();
    for (const key of keys) {
      let list = byKind.get(key.kind);
      if (!list) byKind.set(key.kind, (list = []));
      list.push(key);
    }
    for (const [kind, list] of byKind) {
      switch (kind) {
        case 'form':
          await this.loadById(list, out, primaryStoreTables.forms, 'form_id');
          break;
        case 'case':
          await this.loadById(list, out, primaryStoreTables.cases, 'case_id');
          break;
        case 'subcases':
          await this.loadLists(
            list,
            out,
            `SELECT i.referenced_id AS owner, c.event FROM ${primaryStoreTables.caseIndices} i
             JOIN ${primaryStoreTables.cases} c ON c.case_id = i.case_id
             WHERE i.referenced_id = ANY($1::text[]) AND c.domain = $2 AND NOT c.deleted
             ORDER BY c.case_id`,
          );
          break;
        case 'case_forms':
          await this.loadLists(
            list,
            out,
            `SELECT t.case_id AS owner, f.event FROM ${primaryStoreTables.caseTransactions} t
             JOIN ${primaryStoreTables.forms} f ON f.form_id = t.form_id
             WHERE t.case_id = ANY($1::text[]) AND f.domain = $2
             ORDER BY t.received_seq`,
          );
          break;
        default:
          if (directoryLookupKinds.has(kind)) await loadDirectoryLookups(this.options, kind, list, out);
          else await this.loadFromCouch(kind, list, out);
      }
    }
    return out;
  }

  private async loadById(
    keys: UcrLookupKey[],
    out: Map<string, unknown>,
    table: string,
    idColumn: string,
  ): Promise<void> {
    for (const [domain, ids] of byDomain(keys)) {
      const rows = await this.db.any<{ id: string; event: unknown }>(
        `SELECT ${idColumn} AS id, event FROM ${table} WHERE ${idColumn} = ANY($1::text[]) AND domain = $2`,
        [ids, domain],
      );
      const kind = keys[0]!.kind;
      for (const row of rows) out.set(lookupKeyId({ kind, domain, id: row.id }), docOfEvent(row.event));
    }
  }

  private async loadLists(keys: UcrLookupKey[], out: Map<string, unknown>, sql: string): Promise<void> {
    const kind = keys[0]!.kind;
    for (const [domain, ids] of byDomain(keys)) {
      const lists = new Map<string, unknown[]>(ids.map((id) => [id, []]));
      const rows = await this.db.any<{ owner: string; event: unknown }>(sql, [ids, domain]);
      for (const row of rows) lists.get(row.owner)?.push(docOfEvent(row.event));
      for (const [id, list] of lists) out.set(lookupKeyId({ kind, domain, id }), list);
    }
  }

  /** Best effort: an unreachable CouchDB or an unknown kind answers null, with a warning. */
  private async loadFromCouch(kind: string, keys: UcrLookupKey[], out: Map<string, unknown>): Promise<void> {
    const database = this.options.couchDatabases[kind];
    if (!this.options.couchdbUrl || !database) return;
    const url = new URL(
      `${encodeURIComponent(database)}/_all_docs?include_docs=true`,
      ensureSlash(this.options.couchdbUrl),
    );
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ keys: keys.map((k) => k.id) }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`CouchDB answered ${response.status}`);
      const body = (await response.json()) as {
        rows?: { key: string; doc?: Record<string, unknown> | null }[];
      };
      const docs = new Map((body.rows ?? []).map((row) => [row.key, row.doc ?? null]));
      for (const key of keys) {
        const doc = docs.get(key.id) ?? null;
        // A document of another domain is not this domain's to see.
        out.set(
          lookupKeyId(key),
          doc && (doc.domain === undefined || doc.domain === key.domain) ? doc : null,
        );
      }
    } catch (error) {
      this.options.logger.warn(
        { kind, database, count: keys.length, error: (error as Error).message },
        'Could not load UCR lookups from CouchDB; evaluating them as missing documents.',
      );
    }
  }
}

function byDomain(keys: UcrLookupKey[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    let ids = groups.get(key.domain);
    if (!ids) groups.set(key.domain, (ids = []));
    if (!ids.includes(key.id)) ids.push(key.id);
  }
  return groups;
}

const ensureSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
