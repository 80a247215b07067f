/**
 * Commits positions in the background so a lane's next batch does not wait for the source's
 * round trip: at most one commit per lane in flight, later positions coalesce into one commit of
 * the newest. Positions only ever come from the checkpointer, so whatever is committed is durable.
 */

interface LaneState {
  running: Promise<void>;
  /** The newest position submitted while a commit was running. */
  next?: string;
}

export class LaneCommitter {
  private readonly lanes = new Map<string, LaneState>();

  constructor(private readonly commit: (lane: string, position: string) => Promise<void>) {}

  submit(lane: string, position: string): void {
    const state = this.lanes.get(lane);
    if (state) {
      state.next = position;
      return;
    }
    const fresh: LaneState = { running: Promise.resolve() };
    this.lanes.set(lane, fresh);
    fresh.running = this.drain(lane, fresh, position);
  }

  private async drain(lane: string, state: LaneState, first: string): Promise<void> {
    let position: string | undefined = first;
    try {
      while (position !== undefined) {
        await this.commit(lane, position);
        position = state.next;
        state.next = undefined;
      }
    } finally {
      this.lanes.delete(lane);
    }
  }

  /** Resolves once every commit submitted so far for these lanes (all lanes when omitted) has settled. */
  async flush(lanes?: readonly string[]): Promise<void> {
    const pending = [...this.lanes]
      .filter(([lane]) => !lanes || lanes.includes(lane))
      .map(([, s]) => s.running);
    await Promise.allSettled(pending);
  }
}
