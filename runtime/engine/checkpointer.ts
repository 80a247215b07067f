/**
 * Which position of each lane may be committed: the one after the longest prefix of batches whose
 * writes are all durable. Generic over positions (Kafka offsets, CouchDB sequences, outbox ids):
 * it never compares them, it only keeps the order in which batches began.
 */

export interface Ticket {
  readonly lane: string;
  readonly next: string;
}

interface Pending {
  ticket: Ticket;
  done: boolean;
}

export class Checkpointer {
  private readonly lanes = new Map<string, Pending[]>();
  private readonly waiters = new Map<string, (() => void)[]>();

  /** Registers a batch that ends just before `next`; batches of a lane must begin in lane order. */
  begin(lane: string, next: string): Ticket {
    const ticket = { lane, next };
    let pending = this.lanes.get(lane);
    if (!pending) this.lanes.set(lane, (pending = []));
    pending.push({ ticket, done: false });
    return ticket;
  }

  /**
   * Marks a batch durable. Returns the position to commit when the durable prefix grew, or
   * undefined when an earlier batch of the lane is still in flight.
   */
  complete(ticket: Ticket): string | undefined {
    const pending = this.lanes.get(ticket.lane);
    const entry = pending?.find((p) => p.ticket === ticket);
    if (!pending || !entry) throw new Error(`unknown checkpoint ticket for lane ${ticket.lane}`);
    entry.done = true;
    let committable: string | undefined;
    while (pending.length && pending[0]!.done) committable = pending.shift()!.ticket.next;
    if (!pending.length) this.notifyDrained(ticket.lane);
    return committable;
  }

  /** Forgets a batch that will not complete (its lane was revoked or the worker is stopping). */
  abandon(ticket: Ticket): void {
    const pending = this.lanes.get(ticket.lane);
    if (!pending) return;
    // Nothing after an abandoned batch may be committed either: drop the whole tail.
    const index = pending.findIndex((p) => p.ticket === ticket);
    if (index >= 0) pending.splice(index);
    if (!pending.length) this.notifyDrained(ticket.lane);
  }

  inFlight(lane: string): number {
    return this.lanes.get(lane)?.length ?? 0;
  }

  /** Resolves once the lane has no batch in flight. */
  drained(lane: string): Promise<void> {
    if (!this.inFlight(lane)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(lane) ?? [];
      list.push(resolve);
      this.waiters.set(lane, list);
    });
  }

  private notifyDrained(lane: string): void {
    this.lanes.delete(lane);
    for (const resolve of this.waiters.get(lane) ?? []) resolve();
    this.waiters.delete(lane);
  }
}
