/**
 * The contract every sink keeps (ARCHITECTURE.md, "Delivery semantics"), as one suite each sink's
 * test file runs against its real store: a stale version never wins, a record the sink cannot
 * write is that record's failure and never a thrown batch, a row the store refuses never causes an
 * endless retry, a lost connection is retryable, deletes hold against older upserts, and a replayed
 * batch changes nothing. Exported so new sinks (search) run it too: write a harness, call
 * `describeSinkConformance`.
 */
import { describe, expect, it } from 'vitest';
import {
  isRetryable,
  type Sink,
  type SinkRecord,
  type SourceRecord,
  type WriteResult,
} from '../../runtime/contract/index.js';

/** The values the suite writes: small documents with one number. */
export interface ConformanceValue {
  n: number;
}

/** A sink on a fresh, empty target, and what readers of that target see. */
export interface SinkUnderTest {
  sink: Sink;
  /**
   * What readers see now: key → value of every key that exists. For a log (a Kafka topic), the
   * reader's view: per key, the record of the highest version the sink carried, absent when that
   * one is a tombstone.
   */
  read: () => Promise<Map<string, ConformanceValue>>;
  close: () => Promise<void>;
}

export interface SinkHarness {
  /** A sink on a fresh, empty target (started when it has `start`). */
  open(): Promise<SinkUnderTest>;
  /** The record writing `value` under `key` at `version`, or deleting the key when `value` is null. */
  record(key: string, version: number, value: ConformanceValue | null): SinkRecord;
  /** A record this sink can tell it cannot write (no key, no version, a value it cannot encode). */
  malformed(key: string, version: number): SinkRecord;
  /** A record the store itself refuses (a value of the wrong type for its column), when the store can refuse one. */
  refused?(key: string, version: number): SinkRecord;
  /**
   * A sink whose store is unreachable (a private server stopped, or a simulated outage), and a way
   * to bring the store back.
   */
  unreachable(): Promise<{ under: SinkUnderTest; restore: () => Promise<void> }>;
  /**
   * False for a sink that forgets a deleted key's version (it removes the row), so an older upsert
   * replayed on its own after the delete writes the key again; the suite then checks only that
   * in-order redeliveries keep it deleted. Say why in the harness.
   */
  keepsDeletedVersions?: boolean;
}

/** A SinkRecord as a source would have delivered it; harnesses build on it. */
export function sinkRecord(
  key: string | null,
  value: unknown,
  routing: SinkRecord['routing'],
  headers: Record<string, string> = {},
): SinkRecord {
  const origin: SourceRecord = {
    key,
    value,
    headers,
    timestamp: 0,
    position: { lane: 'conformance', offset: '0' },
    raw: {
      key: key === null ? null : Buffer.from(key),
      value: Buffer.from(JSON.stringify(value)),
      headers: {},
    },
  };
  return { key, value, headers, timestamp: 0, ...(routing ? { routing } : {}), origin };
}

const failedIndexes = (result: WriteResult) => result.failed.map((f) => f.index).sort();

export function describeSinkConformance(name: string, harness: SinkHarness, timeoutMs = 60_000): void {
  const withSink = async (use: (under: SinkUnderTest) => Promise<void>) => {
    const under = await harness.open();
    try {
      await use(under);
    } finally {
      await under.close();
    }
  };

  describe(`${name} sink conformance`, () => {
    it(
      'keeps the newest version of every key: a stale version never wins, in one batch or across batches',
      { timeout: timeoutMs },
      () =>
        withSink(async ({ sink, read }) => {
          expect(
            failedIndexes(
              await sink.write([harness.record('a', 2, { n: 2 }), harness.record('b', 1, { n: 1 })]),
            ),
          ).toEqual([]);
          await sink.write([harness.record('a', 1, { n: 1 })]);
          await sink.write([harness.record('b', 3, { n: 3 }), harness.record('b', 2, { n: 2 })]);
          expect(await read()).toEqual(
            new Map([
              ['a', { n: 2 }],
              ['b', { n: 3 }],
            ]),
          );
        }),
    );

    it(
      "reports a record it cannot write as that record's failure, never by throwing, and writes the rest",
      { timeout: timeoutMs },
      () =>
        withSink(async ({ sink, read }) => {
          const result = await sink.write([
            harness.record('a', 1, { n: 1 }),
            harness.malformed('bad', 1),
            harness.record('c', 1, { n: 3 }),
          ]);
          expect(failedIndexes(result)).toEqual([1]);
          expect(result.failed[0]!.error).toBeInstanceOf(Error);
          expect(await read()).toEqual(
            new Map([
              ['a', { n: 1 }],
              ['c', { n: 3 }],
            ]),
          );
        }),
    );

    if (harness.refused) {
      const refused = harness.refused.bind(harness);
      it(
        'fails permanently on a row the store refuses, so the runtime dead-letters it instead of retrying forever',
        { timeout: timeoutMs },
        () =>
          withSink(async ({ sink }) => {
            const outcome = await sink.write([refused('bad', 1)]).then(
              (result) => ({ failed: failedIndexes(result) }),
              (error: unknown) => ({ thrown: error }),
            );
            if ('thrown' in outcome) expect(isRetryable(outcome.thrown)).toBe(false);
            else expect(outcome.failed).toEqual([0]);
          }),
      );
    }

    it(
      'throws a retryable error while its store is unreachable, and writes the same batch once it is back',
      { timeout: timeoutMs * 2 },
      async () => {
        const { under, restore } = await harness.unreachable();
        try {
          const batch = [harness.record('a', 1, { n: 1 })];
          const error = await under.sink.write(batch).then(
            () => undefined,
            (thrown: unknown) => thrown,
          );
          expect(error, 'the write should fail while the store is away').toBeDefined();
          expect(isRetryable(error), `not retryable: ${String(error)}`).toBe(true);
          await restore();
          let result: WriteResult | undefined;
          // The client may need a moment to reconnect: the runtime retries, so does the suite.
          for (let attempt = 0; attempt < 30 && !result; attempt++) {
            result = await under.sink.write(batch).catch(async (thrown: unknown) => {
              if (!isRetryable(thrown)) throw thrown;
              await new Promise((resolve) => setTimeout(resolve, 500));
              return undefined;
            });
          }
          expect(result?.failed).toEqual([]);
          expect(await under.read()).toEqual(new Map([['a', { n: 1 }]]));
        } finally {
          await under.close();
        }
      },
    );

    it(
      'deletes a key, and a redelivery of the same batches in order leaves it deleted',
      { timeout: timeoutMs },
      () =>
        withSink(async ({ sink, read }) => {
          const batches = [
            [harness.record('a', 1, { n: 1 }), harness.record('b', 1, { n: 1 })],
            [harness.record('a', 2, null)],
          ];
          for (const batch of batches) await sink.write(batch);
          expect(await read()).toEqual(new Map([['b', { n: 1 }]]));
          for (const batch of batches) await sink.write(batch);
          expect(await read()).toEqual(new Map([['b', { n: 1 }]]));
        }),
    );

    if (harness.keepsDeletedVersions !== false) {
      it(
        'remembers the version of a deleted key: an older upsert replayed alone does not bring it back',
        { timeout: timeoutMs },
        () =>
          withSink(async ({ sink, read }) => {
            await sink.write([harness.record('a', 1, { n: 1 })]);
            await sink.write([harness.record('a', 2, null)]);
            await sink.write([harness.record('a', 1, { n: 1 })]);
            expect(await read()).toEqual(new Map());
          }),
      );
    }

    it(
      'leaves the target as it was when a batch is written again (a replay after a redelivery)',
      { timeout: timeoutMs },
      () =>
        withSink(async ({ sink, read }) => {
          const batch = [
            harness.record('a', 1, { n: 1 }),
            harness.record('b', 2, { n: 2 }),
            harness.record('c', 1, null),
          ];
          await sink.write(batch);
          const once = await read();
          expect(failedIndexes(await sink.write(batch))).toEqual([]);
          expect(await read()).toEqual(once);
          expect(once).toEqual(
            new Map([
              ['a', { n: 1 }],
              ['b', { n: 2 }],
            ]),
          );
        }),
    );
  });
}
