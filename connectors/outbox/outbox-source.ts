import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  RetryableError,
  defineSource,
  isRetryable,
  type ComponentContext,
  type LaneControl,
  type Source,
  type SourceHandler,
  type SourceRecord,
} from '../../runtime/contract/index.js';
import { postgresConnectionFields, postgresPoolOf, type Database } from '../postgres/postgres-pool.js';
import {
  defaultOutboxChannel,
  defaultOutboxTable,
  ensureOutboxTable,
  outboxTableName,
  type StoredOutboxRow,
} from './outbox-table.js';

/** The one lane of the outbox: a single ordered stream, delivered by whichever relay holds the lock. */
export const outboxLane = 'outbox';

const outboxSourceConfig = z.object({
  ...postgresConnectionFields,
  table: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
      'expected a table name, optionally schema-qualified',
    )
    .default(defaultOutboxTable)
    .describe('Outbox table, optionally schema-qualified; created when missing.'),
  channel: z
    .string()
    .min(1)
    .default(defaultOutboxChannel)
    .describe('LISTEN/NOTIFY channel writers notify when they commit outbox rows.'),
  batchSize: z.number().int().positive().default(500).describe('Outbox rows read per batch.'),
  pollIntervalMs: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe('How often the table is read without a notification (the fallback when one is missed).'),
  settleMs: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'Pause after a notification before reading, so a burst of commits is read as one batch; order does not depend on it.',
    ),
  lockKey: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Name of the advisory lock that elects the one relay delivering this table; `outbox:<table>` when absent.',
    ),
  lockRetryMs: z
    .number()
    .int()
    .positive()
    .default(2000)
    .describe('How often a relay that does not hold the lock tries to take it.'),
  retryInitialMs: z
    .number()
    .int()
    .positive()
    .default(250)
    .describe('First wait after a failed read; doubles with each failure in a row.'),
  retryMaxMs: z
    .number()
    .int()
    .positive()
    .default(5000)
    .describe('Longest wait between two attempts while PostgreSQL is unreachable.'),
});

export type OutboxSourceConfig = z.output<typeof outboxSourceConfig>;

export const outboxSource = defineSource({
  name: 'outbox',
  summary: 'Publishes the rows of a transactional outbox table in order and deletes them once durable.',
  description:
    'One lane. Rows are read in id order and delivered as records keyed by doc_id, valued by the payload and ' +
    'routed to their topic with their version; once the runtime reports a batch durable its rows are deleted. ' +
    'Woken by LISTEN/NOTIFY, with polling as fallback. Only the relay holding the advisory lock delivers, so ' +
    'several relays may run at once. Writers insert their rows while holding the row locks of the documents ' +
    "they change, so a document's changes get increasing ids in commit order; a row committed late with a lower " +
    'id than rows already delivered is still picked up, because the source never skips past rows it has not ' +
    'delivered: it reads every row it has not delivered yet and deletes exactly the rows it delivered.',
  config: outboxSourceConfig,
  example: `type: outbox
table: tributary_outbox
channel: tributary_outbox`,
  backlog: async (config, context) => {
    const db = await postgresPoolOf(config, context);
    const row = await db.one<{ pending: bigint; oldest: number | null }>(
      `SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest FROM ${outboxTableName(config.table)}`,
    );
    return {
      pending: Number(row.pending),
      oldestAgeSeconds: row.oldest === null ? null : Math.round(row.oldest * 10) / 10,
    };
  },
  create: async (config, ctx) => new OutboxSource(config, ctx, await postgresPoolOf(config, ctx)),
});

/** A stored row as a record for its topic. */
export function toOutboxRecord(row: StoredOutboxRow): SourceRecord {
  const value = Buffer.from(JSON.stringify(row.payload));
  const headers = row.headers ?? {};
  return {
    key: row.doc_id,
    value: row.payload,
    headers,
    timestamp: row.created_at.getTime(),
    routing: { target: row.topic, version: row.version },
    position: { lane: outboxLane, offset: String(row.id) },
    raw: {
      key: Buffer.from(row.doc_id),
      value,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    },
  };
}

/**
 * Rows delivered and not yet deleted, by batch. Each batch's `next` is its sequence number in this
 * process, so a commit names exactly the batches it covers even when a late row has a lower id.
 */
export class PendingDeliveries {
  private seq = 0;
  private readonly batches: { seq: number; ids: bigint[] }[] = [];

  /** Records a batch about to be delivered; returns its `next`. */
  add(ids: bigint[]): string {
    this.seq++;
    this.batches.push({ seq: this.seq, ids });
    return String(this.seq);
  }

  /** Every id delivered and not yet deleted (left out of the next read). */
  ids(): bigint[] {
    return this.batches.flatMap((b) => b.ids);
  }

  /** The ids of the batches up to `next`, without forgetting them yet. */
  upTo(next: string): bigint[] {
    const seq = Number(next);
    return this.batches.filter((b) => b.seq <= seq).flatMap((b) => b.ids);
  }

  /** Forgets the batches up to `next`, once their rows are deleted. */
  settle(next: string): void {
    const seq = Number(next);
    while (this.batches.length && this.batches[0]!.seq <= seq) this.batches.shift();
  }
}

/** Capped exponential backoff: `initialMs`, doubled per failure in a row, at most `maxMs`. */
export function backoffMs(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

type Session = Awaited<ReturnType<Database['connect']>>;

export class OutboxSource implements Source {
  private readonly stopping = new AbortController();
  private readonly pending = new PendingDeliveries();
  private readonly table: string;
  private loop: Promise<void> | undefined;
  private handler: SourceHandler | undefined;
  /** The dedicated session holding the lock and listening; gone when it failed or before it is taken. */
  private session: Session | undefined;
  private sessionLost = false;
  private wake: (() => void) | undefined;
  /** A notification arrived since the last read began. */
  private notified = false;
  private tableReady = false;

  constructor(
    private readonly config: OutboxSourceConfig,
    private readonly ctx: ComponentContext,
    private readonly db: Database,
  ) {
    this.table = outboxTableName(config.table);
  }

  async start(handler: SourceHandler): Promise<void> {
    this.handler = handler;
    await handler.onAssigned([outboxLane]);
    this.loop = this.run(handler);
  }

  /** Deletes the rows of every batch up to `next`; throws RetryableError while PostgreSQL is unreachable. */
  async commit(_lane: string, next: string): Promise<void> {
    const ids = this.pending.upTo(next);
    try {
      if (ids.length)
        await this.db.none(`DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`, [ids.map(String)]);
    } catch (error) {
      throw isRetryable(error)
        ? new RetryableError('could not delete delivered outbox rows', { cause: error })
        : error;
    }
    this.pending.settle(next);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    if (this.handler) await this.handler.onRevoked([outboxLane]);
    await this.closeSession();
  }

  // ---- the relay ---------------------------------------------------------------------------------

  private async run(handler: SourceHandler): Promise<void> {
    const log = this.ctx.logger.child({ table: this.config.table });
    const control: LaneControl = {
      heartbeat: () => Promise.resolve(),
      isActive: () => !this.stopping.signal.aborted && !this.sessionLost,
    };
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        if (!(await this.holdLock())) {
          await this.pause(this.config.lockRetryMs, false);
          continue;
        }
        this.notified = false;
        const rows = await this.read();
        failures = 0;
        if (rows.length === 0) {
          await this.pause(this.config.pollIntervalMs, true);
          continue;
        }
        if (this.stopping.signal.aborted || this.sessionLost) continue;
        const next = this.pending.add(rows.map((r) => r.id));
        await handler.onBatch(outboxLane, rows.map(toOutboxRecord), next, control);
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        failures++;
        await this.closeSession();
        const waitMs = backoffMs(failures, this.config.retryInitialMs, this.config.retryMaxMs);
        log.warn(
          { attempt: failures, waitMs, error: (error as Error).message },
          'Retrying the outbox after an error; undelivered rows stay in the table.',
        );
        await sleep(waitMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /** True once this relay holds the lock on a live session (taking it, and listening, when it can). */
  private async holdLock(): Promise<boolean> {
    if (this.sessionLost) await this.closeSession();
    if (this.session) return true;
    if (!this.tableReady) {
      await ensureOutboxTable(this.db, this.config.table);
      this.tableReady = true;
    }
    const session = await this.db.connect({ direct: true });
    session.client.on('error', (error: Error) => {
      if (this.session !== session) return;
      this.sessionLost = true;
      this.ctx.logger.warn({ error: error.message }, 'Lost the outbox session; the lock goes with it.');
      this.wake?.();
    });
    try {
      const { locked } = await session.one<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [this.config.lockKey ?? `outbox:${this.config.table}`],
      );
      if (!locked) {
        await Promise.resolve(session.done());
        return false;
      }
      session.client.on('notification', () => void this.onNotification());
      await session.none('LISTEN $1:name', [this.config.channel]);
    } catch (error) {
      await Promise.resolve(session.done()).catch(() => undefined);
      throw error;
    }
    this.session = session;
    this.sessionLost = false;
    this.ctx.logger.info({ table: this.config.table }, 'Took the outbox lock; this relay delivers.');
    return true;
  }

  /** The undelivered rows with the lowest ids, read on the session that holds the lock. */
  private read(): Promise<StoredOutboxRow[]> {
    const session = this.session;
    if (!session) return Promise.resolve([]);
    return session.any<StoredOutboxRow>(
      `SELECT id, topic, doc_id, doc_type, version, payload, created_at, headers FROM ${this.table}
        WHERE id <> ALL($1::bigint[]) ORDER BY id LIMIT $2`,
      [this.pending.ids().map(String), this.config.batchSize],
    );
  }

  private async onNotification(): Promise<void> {
    if (this.config.settleMs > 0) await sleep(this.config.settleMs);
    this.notified = true;
    this.wake?.();
  }

  /** Waits `ms`, or less when stopping or (if `wakeable`) when a notification arrived or arrives. */
  private async pause(ms: number, wakeable: boolean): Promise<void> {
    if (wakeable && this.notified) return;
    const signal = this.stopping.signal;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      if (wakeable) this.wake = done;
      if (signal.aborted) done();
    });
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.sessionLost = false;
    // Ending the session releases the advisory lock and stops listening.
    if (session) await Promise.resolve(session.done()).catch(() => undefined);
  }
}
