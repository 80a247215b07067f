/**
 * The contract every source keeps, as one suite each source's test file runs against its real
 * store: records of one key come on one lane in the order they were written (the newest last),
 * a new source resumes after the last committed position (nothing committed comes again), and a
 * source that dies without committing loses nothing: everything after the last commit is
 * delivered again. Exported so new sources run it too: write a harness, call
 * `describeSourceConformance`.
 */
import { describe, expect, it } from 'vitest';
import type { Source, SourceHandler, SourceRecord } from '../../runtime/contract/index.js';
import { eventually } from '../support/pipeline-fixtures.js';

/** One written version of a document: its key and a number that grows with each write. */
export interface Written {
  key: string;
  n: number;
}

export interface SourceHarness {
  /** Writes these versions to the source's store, in order. */
  append(items: readonly Written[]): Promise<void>;
  /** A source on the store that resumes from what earlier ones committed (the same group, checkpoint, table). */
  open(): Promise<Source>;
  /** The key and number a delivered record carries. */
  read(record: SourceRecord): Written;
  /** Ends a source the way a crash would, committing nothing more; `stop()` when absent. */
  kill?(source: Source): Promise<void>;
  /** Removes the store (topic, table, database); called once per test. */
  cleanup(): Promise<void>;
}

interface Delivery {
  lane: string;
  next: string;
  items: Written[];
}

/** Starts `source` with a handler that keeps every batch and commits the ones `commit` picks. */
async function collect(
  harness: SourceHarness,
  source: Source,
  commit: (index: number) => boolean,
): Promise<{ batches: Delivery[]; items: () => Written[] }> {
  const batches: Delivery[] = [];
  const handler: SourceHandler = {
    onAssigned: () => Promise.resolve(),
    onRevoked: () => Promise.resolve(),
    onBatch: async (lane, records, next) => {
      const index = batches.push({ lane, next, items: records.map((r) => harness.read(r)) }) - 1;
      if (commit(index)) await source.commit(lane, next);
    },
  };
  await source.start(handler);
  return { batches, items: () => batches.flatMap((b) => b.items) };
}

const until = async (check: () => boolean, what: () => string, timeoutMs: number) => {
  const ok = await eventually(() => Promise.resolve(check()), timeoutMs, 50);
  expect(ok, what()).toBe(true);
};

const round = (keys: number, n: number): Written[] =>
  Array.from({ length: keys }, (_, k) => ({ key: `k${k}`, n }));

export function describeSourceConformance(
  name: string,
  makeHarness: () => Promise<SourceHarness>,
  timeoutMs = 60_000,
): void {
  const withHarness = async (use: (harness: SourceHarness) => Promise<void>) => {
    const harness = await makeHarness();
    try {
      await use(harness);
    } finally {
      await harness.cleanup();
    }
  };

  describe(`${name} source conformance`, () => {
    it(
      'delivers the versions of each key on one lane, in the order written, the newest last',
      { timeout: timeoutMs },
      () =>
        withHarness(async (harness) => {
          for (let n = 1; n <= 3; n++) await harness.append(round(8, n));
          const source = await harness.open();
          try {
            const seen = await collect(harness, source, () => true);
            const last = () => new Map(seen.items().map((item) => [item.key, item.n]));
            await until(
              () => last().size === 8 && [...last().values()].every((n) => n === 3),
              () => `expected the newest version of 8 keys, got ${JSON.stringify([...last()])}`,
              timeoutMs / 2,
            );
            const lanesOf = new Map<string, Set<string>>();
            const byKey = new Map<string, number[]>();
            for (const batch of seen.batches)
              for (const item of batch.items) {
                lanesOf.set(item.key, (lanesOf.get(item.key) ?? new Set()).add(batch.lane));
                byKey.set(item.key, [...(byKey.get(item.key) ?? []), item.n]);
              }
            for (const lanes of lanesOf.values()) expect(lanes.size).toBe(1);
            for (const ns of byKey.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b));
          } finally {
            await source.stop();
          }
        }),
    );

    it(
      'resumes after the last committed position: nothing committed is delivered again',
      { timeout: timeoutMs },
      () =>
        withHarness(async (harness) => {
          await harness.append(round(8, 1));
          const first = await harness.open();
          const before = await collect(harness, first, () => true);
          await until(
            () => before.items().length >= 8,
            () => `got ${before.items().length} of 8`,
            timeoutMs / 3,
          );
          await first.stop();
          await harness.append(round(8, 2));
          const second = await harness.open();
          try {
            const after = await collect(harness, second, () => true);
            await until(
              () => after.items().length >= 8,
              () => `got ${after.items().length} of 8`,
              timeoutMs / 3,
            );
            expect(after.items().filter((item) => item.n === 1)).toEqual([]);
          } finally {
            await second.stop();
          }
        }),
    );

    it(
      'loses nothing when a source dies without committing: everything after the last commit comes again',
      { timeout: timeoutMs },
      () =>
        withHarness(async (harness) => {
          await harness.append(round(10, 1));
          const first = await harness.open();
          const before = await collect(harness, first, (index) => index === 0);
          await until(
            () => before.items().length >= 10,
            () => `got ${before.items().length} of 10`,
            timeoutMs / 3,
          );
          expect(before.batches.length, 'the test needs more than one batch').toBeGreaterThan(1);
          await (harness.kill ? harness.kill(first) : first.stop());
          const committed = new Set(before.batches[0]!.items.map((item) => item.key));
          const second = await harness.open();
          try {
            const after = await collect(harness, second, () => true);
            const missing = () =>
              round(10, 1).filter(
                (item) => !committed.has(item.key) && !after.items().some((seen) => seen.key === item.key),
              );
            await until(
              () => missing().length === 0,
              () => `not delivered again: ${JSON.stringify(missing())}`,
              timeoutMs / 3,
            );
          } finally {
            await second.stop();
          }
        }),
    );
  });
}
