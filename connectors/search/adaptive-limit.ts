/**
 * How many bulk requests the sink has in flight at once, across its lanes: up to a maximum, halved
 * when the engine says it is overloaded (429) and grown back by one request per round of
 * successful ones (additive increase, multiplicative decrease), so lanes that retry do not keep a
 * small write queue full of requests it must reject. Requests sent before a decrease do not
 * decrease it again: one overload halves the limit once.
 */
export class AdaptiveLimit {
  private limit: number;
  private active = 0;
  private epoch = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    this.limit = max;
  }

  /** The current limit (whole requests). */
  get current(): number {
    return Math.max(1, Math.floor(this.limit));
  }

  /** Waits for a place; resolves with a ticket to hand back to `release`. */
  async acquire(): Promise<number> {
    while (this.active >= this.current) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    return this.epoch;
  }

  /** Frees a request's place; `overloaded` when the engine refused any of it for load. */
  release(ticket: number, overloaded: boolean): void {
    this.active--;
    if (overloaded) {
      if (ticket === this.epoch) {
        this.limit = Math.max(1, this.limit / 2);
        this.epoch++;
      }
    } else {
      this.limit = Math.min(this.max, this.limit + 1 / this.current);
    }
    while (this.waiting.length && this.active < this.current) this.waiting.shift()!();
  }
}
