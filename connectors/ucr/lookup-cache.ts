/**
 * The UCR lookups kept in process: least recently used first out, bounded by entries and by the
 * bytes of their JSON text, so that a worker's memory does not depend on how large the looked-up
 * documents happen to be (10,000 entries of 2 KB or of 200 KB).
 */
interface Entry {
  value: unknown;
  bytes: number;
  until: number;
}

export class LookupCache {
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;

  constructor(
    private readonly limits: { entries: number; bytes: number; ttlMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** What is held now, in bytes of JSON text. */
  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value kept for `id` and still fresh (refreshing its place), or undefined. */
  get(id: string): { value: unknown } | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.drop(id, entry);
      return undefined;
    }
    this.entries.delete(id);
    this.entries.set(id, entry);
    return { value: entry.value };
  }

  /** Keeps `value`, whose JSON text is `bytes` long; one larger than the whole budget is not kept. */
  set(id: string, value: unknown, bytes: number): void {
    const { entries, bytes: budget, ttlMs } = this.limits;
    const old = this.entries.get(id);
    if (old) this.drop(id, old);
    if (ttlMs <= 0 || entries <= 0 || bytes > budget) return;
    this.entries.set(id, { value, bytes, until: this.now() + ttlMs });
    this.totalBytes += bytes;
    while (this.entries.size > entries || this.totalBytes > budget) {
      const [oldest, entry] = this.entries.entries().next().value!;
      this.drop(oldest, entry);
    }
  }

  private drop(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.totalBytes -= entry.bytes;
  }
}
