import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  RetryableError,
  defineSource,
  isRetryable,
  type ComponentContext,
  type LaneControl,
  type Position,
  type Source,
  type SourceHandler,
  type SourceRecord,
} from '../../runtime/contract/index.js';
import {
  previousRevision,
  toChangeEvent,
  topicFor,
  type CouchChange,
  type CouchDocument,
} from './couchdb-change-event.js';
import { serverOf } from './couchdb-server.js';

/** CommCare's configuration document types and the topics their changes go to. */
export const defaultTopicByDocType: Readonly<Record<string, string>> = Object.freeze({
  CommCareUser: 'users',
  WebUser: 'users',
  Group: 'groups',
  Application: 'apps',
  LinkedApplication: 'apps',
  Domain: 'domains',
  Location: 'locations',
  SQLLocation: 'locations',
  DataSourceConfiguration: 'configs',
  ReportConfiguration: 'configs',
  ExportInstance: 'configs',
  FormExportInstance: 'configs',
  CaseExportInstance: 'configs',
});

const couchdbSourceConfig = z.object({
  url: z
    .string()
    .url()
    .optional()
    .describe('CouchDB server URL (credentials may be in it); COUCHDB_URL when absent.'),
  databases: z
    .array(z.string().min(1))
    .min(1)
    .describe('Databases whose _changes feed is followed; each is one lane, delivered in order.'),
  topicByDocType: z
    .record(z.string(), z.string().min(1))
    .default({ ...defaultTopicByDocType })
    .describe(
      "Topic (routing target) for each document type; CommCare's users, groups, apps, domains and configs by default.",
    ),
  defaultTopic: z
    .string()
    .min(1)
    .optional()
    .describe('Topic for document types missing from topicByDocType; when absent they are skipped.'),
  batchSize: z
    .number()
    .int()
    .positive()
    .default(500)
    .describe('Changes per _changes request (limit); each page becomes one batch.'),
  longpollTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe(
      'How long one longpoll request waits for a change before it is asked again (the request is also ended client-side 5 s later).',
    ),
  heartbeatMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Interval of the newlines the server sends to keep a waiting longpoll connection alive.'),
  checkpointStore: z
    .enum(['local-document', 'memory'])
    .default('local-document')
    .describe(
      'Where `since` is kept once committed: `local-document` writes `_local/tributary-<pipeline>` in each database ' +
        '(not replicated, not in _changes); `memory` keeps it in this process only (every start begins at startSince).',
    ),
  startSince: z
    .string()
    .min(1)
    .default('0')
    .describe('Where a database without a checkpoint starts: `0` for every change since its creation.'),
  retryInitialMs: z
    .number()
    .int()
    .positive()
    .default(250)
    .describe('First wait after a failed request to CouchDB; doubles with each failure in a row.'),
  retryMaxMs: z
    .number()
    .int()
    .positive()
    .default(5_000)
    .describe('Longest wait between two attempts while CouchDB is unreachable.'),
});

export type CouchdbSourceConfig = z.output<typeof couchdbSourceConfig>;

export const couchdbSource = defineSource({
  name: 'couchdb',
  summary: "Follows CouchDB databases' _changes feeds, turning each document change into a change event.",
  description:
    'One lane per database. Each page of `_changes?feed=longpoll&include_docs=true` becomes one batch, in order; ' +
    'each record is keyed by document id and its value is the document with the change-event envelope ' +
    '(doc_id, domain, doc_type, version from the revision number, deleted, changed_on), routed to the topic of its ' +
    "doc_type. Deletions become events with deleted=true carrying the document's last known state; CommCare's " +
    '`<Type>-Deleted` soft deletions too. Design documents are skipped. `since` is checkpointed only after the ' +
    'runtime reports the batch durable; while CouchDB is unreachable the feed retries with capped backoff and ' +
    'resumes where it stopped.',
  config: couchdbSourceConfig,
  example: `type: couchdb
databases: [commcarehq, commcarehq__users]
topicByDocType: { CommCareUser: users, WebUser: users, Group: groups }
defaultTopic: other-docs`,
  create: (config, ctx) => new CouchdbSource(config, ctx),
});

interface ChangesPage {
  results: CouchChange[];
  last_seq: string | number;
}

/** A request ended by our own deadline rather than by the server (pouchdb-server ignores `timeout`). */
class PollDeadline extends Error {}

class CouchHttpError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export class CouchdbSource implements Source {
  private readonly stopping = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly server: { base: string; headers: Record<string, string> };
  private readonly checkpointId: string;
  /** The checkpoint document's current revision per database, when known. */
  private readonly checkpointRevs = new Map<string, string>();
  /** Committed positions when `checkpointStore` is `memory`. */
  private readonly memoryCheckpoints = new Map<string, string>();
  private handler: SourceHandler | undefined;

  constructor(
    private readonly config: CouchdbSourceConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.server = serverOf(config.url ?? ctx.endpoints.COUCHDB_URL);
    this.checkpointId = `_local/tributary-${ctx.pipeline}`;
  }

  async start(handler: SourceHandler): Promise<void> {
    this.handler = handler;
    await handler.onAssigned([...this.config.databases]);
    for (const db of this.config.databases) this.loops.push(this.runLane(db, handler));
  }

  /** Records `next` as where the database's feed resumes; throws RetryableError while CouchDB is unreachable. */
  async commit(lane: string, next: string): Promise<void> {
    if (this.config.checkpointStore === 'memory') {
      this.memoryCheckpoints.set(lane, next);
      return;
    }
    for (let attempt = 0; ; attempt++) {
      const rev = this.checkpointRevs.get(lane);
      const body = {
        _id: this.checkpointId,
        ...(rev ? { _rev: rev } : {}),
        since: next,
        pipeline: this.ctx.pipeline,
        updated_at: new Date().toISOString(),
      };
      try {
        const saved = (await this.request('PUT', this.docPath(lane, this.checkpointId), { body })) as {
          rev: string;
        };
        this.checkpointRevs.set(lane, saved.rev);
        return;
      } catch (error) {
        // Someone else (an earlier instance) wrote it since we read it: take its revision and write again.
        if (error instanceof CouchHttpError && error.statusCode === 409 && attempt < 3) {
          await this.readCheckpoint(lane);
          continue;
        }
        throw !(error instanceof CouchHttpError) || isRetryable(error)
          ? new RetryableError(`could not write the checkpoint of ${lane}`, { cause: error })
          : error;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.loops);
    // Revoking lets the runtime commit what is durable before we return.
    if (this.handler) await this.handler.onRevoked([...this.config.databases]);
  }

  decode(raw: SourceRecord['raw'], position: Position, timestamp: number): Promise<SourceRecord> {
    const record: SourceRecord = {
      key: raw.key?.toString() ?? null,
      value: null,
      headers: Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, v.toString()])),
      timestamp,
      position,
      raw,
    };
    try {
      const parsed = raw.value === null ? null : (JSON.parse(raw.value.toString()) as unknown);
      record.value = parsed;
      const docType = (parsed as { doc_type?: unknown } | null)?.doc_type;
      const topic =
        typeof docType === 'string'
          ? topicFor(docType, this.config.topicByDocType, this.config.defaultTopic)
          : undefined;
      const version = (parsed as { version?: unknown } | null)?.version;
      if (topic !== undefined)
        record.routing = { target: topic, ...(typeof version === 'number' ? { version } : {}) };
    } catch (error) {
      record.decodeError = error as Error;
    }
    return Promise.resolve(record);
  }

  // ---- the feed ----------------------------------------------------------------------------------

  private async runLane(db: string, handler: SourceHandler): Promise<void> {
    const log = this.ctx.logger.child({ database: db });
    const control: LaneControl = {
      heartbeat: () => Promise.resolve(),
      isActive: () => !this.stopping.signal.aborted,
    };
    let since: string | undefined;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        since ??= await this.readCheckpoint(db);
        const page = await this.poll(db, since);
        const next = String(page.last_seq);
        if (page.results.length === 0 && next === since) {
          failures = 0;
          continue;
        }
        const records = await this.toRecords(db, page.results);
        failures = 0;
        if (this.stopping.signal.aborted) return;
        await handler.onBatch(db, records, next, control);
        since = next;
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        if (error instanceof PollDeadline) continue;
        failures++;
        const waitMs = Math.min(this.config.retryMaxMs, this.config.retryInitialMs * 2 ** (failures - 1));
        log.warn(
          { since, attempt: failures, waitMs, error: (error as Error).message },
          'Retrying the changes feed after an error; it resumes from the last delivered position.',
        );
        await sleep(waitMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /** The committed `since` of a database, or `startSince` when it has none. */
  private async readCheckpoint(db: string): Promise<string> {
    if (this.config.checkpointStore === 'memory')
      return this.memoryCheckpoints.get(db) ?? this.config.startSince;
    try {
      const doc = (await this.request('GET', this.docPath(db, this.checkpointId), {
        signal: this.feedSignal(),
      })) as {
        _rev: string;
        since?: unknown;
      };
      this.checkpointRevs.set(db, doc._rev);
      return typeof doc.since === 'string' ? doc.since : this.config.startSince;
    } catch (error) {
      if (error instanceof CouchHttpError && error.statusCode === 404) {
        this.checkpointRevs.delete(db);
        return this.config.startSince;
      }
      throw error;
    }
  }

  /** One longpoll page after `since`; throws PollDeadline when the server held it past the deadline. */
  private async poll(db: string, since: string): Promise<ChangesPage> {
    const query = new URLSearchParams({
      feed: 'longpoll',
      include_docs: 'true',
      since,
      limit: String(this.config.batchSize),
      timeout: String(this.config.longpollTimeoutMs),
      heartbeat: String(this.config.heartbeatMs),
    });
    const deadline = AbortSignal.timeout(this.config.longpollTimeoutMs + 5_000);
    try {
      return (await this.request('GET', `/${encodeURIComponent(db)}/_changes?${query.toString()}`, {
        signal: AbortSignal.any([this.stopping.signal, deadline]),
      })) as ChangesPage;
    } catch (error) {
      if (deadline.aborted && !this.stopping.signal.aborted) throw new PollDeadline('longpoll deadline');
      throw error;
    }
  }

  /** The page's records in feed order: design documents and unrouted document types left out. */
  private async toRecords(db: string, changes: CouchChange[]): Promise<SourceRecord[]> {
    const readAt = Date.now();
    const records: SourceRecord[] = [];
    for (const change of changes) {
      const tombstone = change.deleted === true || change.doc?._deleted === true;
      const lastState =
        tombstone && typeof change.doc?.doc_type !== 'string'
          ? await this.lastLiveState(db, change)
          : undefined;
      const event = toChangeEvent(change, readAt, lastState);
      if (!event) continue;
      const topic = topicFor(event.doc_type, this.config.topicByDocType, this.config.defaultTopic);
      if (topic === undefined) {
        this.ctx.logger.debug(
          { database: db, id: change.id, docType: event.doc_type },
          'Skipped a change of a document type without a topic.',
        );
        continue;
      }
      const value = Buffer.from(JSON.stringify(event));
      records.push({
        key: change.id,
        value: event,
        headers: {},
        timestamp: event.changed_on,
        routing: { target: topic, version: event.version },
        position: { lane: db, offset: String(change.seq) },
        raw: { key: Buffer.from(change.id), value, headers: {} },
      });
    }
    return records;
  }

  /** The revision a deletion replaced, when CouchDB still has it (not compacted away); null otherwise. */
  private async lastLiveState(db: string, change: CouchChange): Promise<CouchDocument | null> {
    const rev = change.changes[0]?.rev;
    if (rev === undefined) return null;
    try {
      const tombstone = (await this.request(
        'GET',
        `${this.docPath(db, change.id)}?${new URLSearchParams({ rev, revs: 'true' }).toString()}`,
        { signal: this.feedSignal() },
      )) as { _revisions?: { start: number; ids: string[] } };
      const previous = previousRevision(tombstone._revisions);
      if (previous === undefined) return null;
      return (await this.request(
        'GET',
        `${this.docPath(db, change.id)}?${new URLSearchParams({ rev: previous }).toString()}`,
        { signal: this.feedSignal() },
      )) as CouchDocument;
    } catch (error) {
      if (error instanceof CouchHttpError && error.statusCode === 404) return null;
      throw error;
    }
  }

  private docPath(db: string, id: string): string {
    const encodedId = id.startsWith('_local/')
      ? `_local/${encodeURIComponent(id.slice('_local/'.length))}`
      : encodeURIComponent(id);
    return `/${encodeURIComponent(db)}/${encodedId}`;
  }

  /** Ends a request of the feed when the source stops or the server holds it too long. */
  private feedSignal(): AbortSignal {
    return AbortSignal.any([this.stopping.signal, AbortSignal.timeout(30_000)]);
  }

  private async request(
    method: 'GET' | 'PUT',
    path: string,
    options: { body?: unknown; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const response = await fetch(`${this.server.base}${path}`, {
      method,
      headers: {
        ...this.server.headers,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal ?? AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok)
      throw new CouchHttpError(
        `CouchDB answered ${response.status} to ${method} ${path.split('?')[0]}: ${text.trim().slice(0, 200)}`,
        response.status,
      );
    return JSON.parse(text) as unknown;
  }
}
