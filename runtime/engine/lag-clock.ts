/**
 * Lag in seconds per lane: the age of the oldest record not yet processed. A batch that arrives
 * marks its first record's time; when it is done the lane is either caught up (nothing older is
 * waiting) or the next record is no older than the batch's last one, which stands in until the
 * next batch says more. Read at scrape time, so a stuck lane's age keeps growing.
 */
export class LagClock {
  /** Lane → time (ms) of the oldest record not yet processed; absent when caught up. */
  private readonly oldest = new Map<string, number>();

  arrived(lane: string, firstRecordMs: number): void {
    if (!this.oldest.has(lane)) this.oldest.set(lane, firstRecordMs);
  }

  /** `caughtUp`: the source said the lane has nothing after this batch (unknown counts as caught up). */
  processed(lane: string, lastRecordMs: number, caughtUp: boolean): void {
    if (caughtUp) this.oldest.delete(lane);
    else this.oldest.set(lane, lastRecordMs);
  }

  forget(lane: string): void {
    this.oldest.delete(lane);
  }

  /** Seconds per lane at `nowMs`; caught-up lanes are 0 while they are still this worker's. */
  read(nowMs: number, lanes: Iterable<string>): Map<string, number> {
    const out = new Map<string, number>();
    for (const lane of lanes) {
      const since = this.oldest.get(lane);
      out.set(lane, since === undefined ? 0 : Math.max(0, (nowMs - since) / 1000));
    }
    return out;
  }
}
