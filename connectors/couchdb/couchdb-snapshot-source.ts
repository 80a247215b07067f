/**
 * A bounded source over one CouchDB database: every document of some doc types in one domain, in
 * id order (`_all_docs`), one page per batch, ending after the last. Each record's value is the
 * document with the change-event envelope the changes source gives it (couchdb-change-event.ts),
 * so the same stages evaluate it; its position is the document id, so a run resumes after the last
 * id committed. How views of configuration documents (users, locations) are built.
 */
import {
  RetryableError,
  type LaneControl,
  type Source,
  type SourceHandler,
  type SourceRecord,
} from '../../runtime/contract/index.js';
import { toChangeEvent, type CouchDocument } from './couchdb-change-event.js';
import { serverOf } from './couchdb-server.js';

export interface CouchdbSnapshotSourceOptions {
  /** CouchDB server URL (credentials may be in it). */
  url: string;
  database: string;
  domain: string;
  /** Doc types to deliver (their `-Deleted` forms too, as deletions). */
  docTypes: readonly string[];
  /** Documents per `_all_docs` page (and batch, before filtering). */
  pageSize: number;
  /** The lane's name (in dead letters and logs). */
  lane: string;
  resumeFrom?: { position: string; documents: number } | undefined;
  onCommit?(documents: number, position: string): Promise<void>;
  cancelled?(): Promise<boolean>;
}

interface AllDocsPage {
  rows: { id: string; doc?: CouchDocument | null }[];
}

export class CouchdbSnapshotSource implements Source {
  private readonly stopping = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private readonly readUpTo = new Map<string, number>();
  private readonly server: { base: string; headers: Record<string, string> };

  constructor(private readonly options: CouchdbSnapshotSourceOptions) {
    this.server = serverOf(options.url);
  }

  async start(handler: SourceHandler): Promise<void> {
    await handler.onAssigned([this.options.lane]);
    this.loop = this.run(handler);
  }

  drained(): Promise<void> {
    return this.loop;
  }

  /** One page after `after` (exclusive). A database that does not exist is empty. */
  private async page(after: string): Promise<AllDocsPage['rows']> {
    const query = new URLSearchParams({ include_docs: 'true', limit: String(this.options.pageSize) });
    if (after) {
      query.set('startkey', JSON.stringify(after));
      query.set('skip', '1');
    }
    const url = `${this.server.base}/${encodeURIComponent(this.options.database)}/_all_docs?${query.toString()}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: this.server.headers, signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new RetryableError(`CouchDB ${this.options.database} could not be read`, { cause: error });
    }
    if (response.status === 404) return [];
    if (!response.ok) {
      const error = new Error(`CouchDB answered ${response.status} for ${this.options.database}/_all_docs`);
      throw response.status >= 500 ? new RetryableError(error.message, { cause: error }) : error;
    }
    return ((await response.json()) as AllDocsPage).rows;
  }

  private async run(handler: SourceHandler): Promise<void> {
    const control: LaneControl = {
      heartbeat: () => Promise.resolve(),
      isActive: () => !this.stopping.signal.aborted,
    };
    let after = this.options.resumeFrom?.position ?? '';
    let read = this.options.resumeFrom?.documents ?? 0;
    while (!this.stopping.signal.aborted && !(await this.options.cancelled?.())) {
      const rows = await this.page(after);
      if (!rows.length) return;
      after = rows[rows.length - 1]!.id;
      const records = rows.flatMap((row) => this.record(row));
      read += records.length;
      this.readUpTo.set(after, read);
      await handler.onBatch(this.options.lane, records, after, control);
    }
  }

  /** The record of one row, or none for design documents and documents of other domains or types. */
  private record(row: AllDocsPage['rows'][number]): SourceRecord[] {
    if (!row.doc || !row.doc._rev) return [];
    const event = toChangeEvent(
      { id: row.id, seq: 0, changes: [{ rev: row.doc._rev }], doc: row.doc },
      Date.now(),
    );
    if (!event || event.domain !== this.options.domain || !this.options.docTypes.includes(event.doc_type))
      return [];
    const value = Buffer.from(JSON.stringify(event));
    return [
      {
        key: row.id,
        value: event,
        headers: {},
        timestamp: event.changed_on,
        position: { lane: this.options.lane, offset: row.id },
        raw: { key: Buffer.from(row.id), value, headers: {} },
      },
    ];
  }

  async commit(_lane: string, next: string): Promise<void> {
    const documents = this.readUpTo.get(next);
    for (const position of this.readUpTo.keys()) {
      this.readUpTo.delete(position);
      if (position === next) break;
    }
    if (documents !== undefined) await this.options.onCommit?.(documents, next);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop.catch(() => undefined);
  }
}
