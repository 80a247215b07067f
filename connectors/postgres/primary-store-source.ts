/**
 * A bounded source over the primary store: the forms or the cases of one domain (of some xmlns or
 * case types, or all), in id order, one page per batch, ending after the last. Each record's value
 * is the document's latest change event as the topics carry it, so the same stages evaluate it;
 * its position is the document id, so a run resumes after the last id committed. How views are
 * built from the source of truth.
 */
import type { LaneControl, Source, SourceHandler, SourceRecord } from '../../runtime/contract/index.js';
import type { Database } from './postgres-pool.js';
import { primaryStoreTables } from './primary-store.js';

export interface PrimaryStoreSourceOptions {
  db: Database;
  documents: 'forms' | 'cases';
  domain: string;
  /** Only these xmlns (forms) or case types (cases); every document of the domain when absent. */
  subtypes?: readonly string[] | undefined;
  /** Documents per page (and batch). */
  pageSize: number;
  /** The lane's name (in dead letters and logs). */
  lane: string;
  /** Where an earlier run stopped: its last committed id and how many documents it had read. */
  resumeFrom?: { position: string; documents: number } | undefined;
  /** Called as positions become durable, with the documents read up to them. */
  onCommit?(documents: number, position: string): Promise<void>;
  /** Checked before each page: true ends the run early. */
  cancelled?(): Promise<boolean>;
}

interface StoreRow {
  id: string;
  event: unknown;
}

export class PrimaryStoreSource implements Source {
  private readonly stopping = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  /** Documents read up to each delivered position (what a commit reports). */
  private readonly readUpTo = new Map<string, number>();

  constructor(private readonly options: PrimaryStoreSourceOptions) {}

  async start(handler: SourceHandler): Promise<void> {
    await handler.onAssigned([this.options.lane]);
    this.loop = this.run(handler);
  }

  drained(): Promise<void> {
    return this.loop;
  }

  private async page(after: string): Promise<StoreRow[]> {
    const forms = this.options.documents === 'forms';
    const table = forms ? primaryStoreTables.forms : primaryStoreTables.cases;
    const id = forms ? 'form_id' : 'case_id';
    const subtype = forms ? 'xmlns' : 'case_type';
    const filter = this.options.subtypes ? ` AND ${subtype} = ANY($3::text[])` : '';
    return this.options.db.any<StoreRow>(
      `SELECT ${id} AS id, event FROM ${table} WHERE domain = $1 AND ${id} > $2${filter} ORDER BY ${id} LIMIT $4`,
      [this.options.domain, after, this.options.subtypes ?? [], this.options.pageSize],
    );
  }

  private async run(handler: SourceHandler): Promise<void> {
    const lane = this.options.lane;
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
      read += rows.length;
      this.readUpTo.set(after, read);
      await handler.onBatch(
        lane,
        rows.map((row) => this.record(row)),
        after,
        control,
      );
    }
  }

  private record(row: StoreRow): SourceRecord {
    const value = Buffer.from(JSON.stringify(row.event));
    return {
      key: row.id,
      value: row.event,
      headers: {},
      timestamp: Date.now(),
      position: { lane: this.options.lane, offset: row.id },
      raw: { key: Buffer.from(row.id), value, headers: {} },
    };
  }

  async commit(_lane: string, next: string): Promise<void> {
    const documents = this.readUpTo.get(next);
    // Positions grow in insertion order; a commit covers every one up to it.
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
