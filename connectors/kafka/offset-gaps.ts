/**
 * Retention gaps: records deleted from a partition (retention, `deleteRecords`) before a consumer
 * group processed them. A group whose position is below the log start would silently resume at the
 * log start; Tributary refuses instead, says so, and lets an operator decide
 * (`tributary rewind … --accept-gap`, or a rebuild of the view from the primary store).
 */
import type { Admin } from './kafka-client.js';

export interface OffsetGap {
  topic: string;
  partition: number;
  /** The position the group must resume from (its committed offset, or the next offset after what it processed). */
  position: bigint;
  /** The first offset the partition still holds. */
  logStart: bigint;
  /** Records deleted before they were processed: `logStart - position`. */
  records: number;
}

/** The gap between a committed offset and the log start, or undefined when there is none (or no commit). */
export function offsetGap(
  topic: string,
  partition: number,
  committed: string,
  logStart: string,
): OffsetGap | undefined {
  const position = BigInt(committed);
  const start = BigInt(logStart);
  if (position < 0n || position >= start) return undefined;
  return { topic, partition, position, logStart: start, records: Number(start - position) };
}

/** The sentence an operator reads in the log, `/readyz` and `status`. */
export function describeOffsetGap(gap: OffsetGap, positionIs = 'the committed offset'): string {
  return (
    `${gap.topic} partition ${gap.partition}: ${positionIs} ${gap.position} is below the log start ${gap.logStart}; ` +
    `${gap.records} record(s) were deleted before this pipeline processed them. The partition is not consumed ` +
    'until an operator decides: `tributary rewind <pipeline file> --to earliest --accept-gap` goes on from the log ' +
    'start, or rebuild the view from the primary store.'
  );
}

/** Every partition of these topics where the group's committed offset is below the log start. */
export async function findOffsetGaps(admin: Admin, group: string, topics: string[]): Promise<OffsetGap[]> {
  const gaps: OffsetGap[] = [];
  for (const topic of topics) {
    const [offsets, committed] = await Promise.all([
      admin.topicOffsets(topic),
      admin.groupOffsets(group, topic),
    ]);
    for (const { partition, low } of offsets) {
      const done = committed.find((c) => c.partition === partition)?.offset ?? '-1';
      const gap = offsetGap(topic, partition, done, low);
      if (gap) gaps.push(gap);
    }
  }
  return gaps;
}

/** What the guard asks the broker; the Kafka source answers through its admin client. */
export interface OffsetLookups {
  /** The group's committed offset of a partition; undefined when it has none. */
  committed(topic: string, partition: number): Promise<bigint | undefined>;
  /** The first offset the partition holds now. */
  logStart(topic: string, partition: number): Promise<bigint>;
}

/**
 * Follows the position of each partition a consumer owns and recognises a batch that starts after
 * it because records were deleted (and not because compaction or transaction markers left holes in
 * the offsets: those are below the log start only when records were deleted). The first batch
 * after an assignment is held to the committed offset; each later one to the end of the previous.
 */
export class OffsetGapGuard {
  private readonly expected = new Map<string, { next: bigint | undefined; fromCommit: boolean }>();

  constructor(private readonly lookups: OffsetLookups) {}

  /** Undefined when the batch starting at `firstOffset` follows on; the gap when records before it were deleted. */
  async check(
    topic: string,
    partition: number,
    firstOffset: bigint,
  ): Promise<{ gap: OffsetGap; message: string } | undefined> {
    const key = `${topic}\u0000${partition}`;
    let known = this.expected.get(key);
    if (!known) {
      known = { next: await this.lookups.committed(topic, partition), fromCommit: true };
      this.expected.set(key, known);
    }
    // No commit: the group starts where `fromBeginning` says, wherever the log starts.
    if (known.next === undefined || firstOffset <= known.next) return undefined;
    const logStart = await this.lookups.logStart(topic, partition);
    const gap = offsetGap(topic, partition, known.next.toString(), logStart.toString());
    if (!gap) return undefined;
    const positionIs = known.fromCommit ? 'the committed offset' : 'the next offset to process';
    return { gap, message: describeOffsetGap(gap, positionIs) };
  }

  /**
   * The partition was assigned and its group committed `committed` (undefined: none): whether the
   * log still starts at or before it. Its first batch is held to that offset.
   */
  assigned(
    topic: string,
    partition: number,
    committed: bigint | undefined,
    logStart: bigint,
  ): { gap: OffsetGap; message: string } | undefined {
    this.expected.set(`${topic}\u0000${partition}`, { next: committed, fromCommit: true });
    if (committed === undefined) return undefined;
    const gap = offsetGap(topic, partition, committed.toString(), logStart.toString());
    return gap && { gap, message: describeOffsetGap(gap) };
  }

  /** The batch ending before `next` was handed on: the partition's next batch must start there. */
  delivered(topic: string, partition: number, next: bigint): void {
    this.expected.set(`${topic}\u0000${partition}`, { next, fromCommit: false });
  }

  /** The partition left this consumer: its next owner (or next assignment) starts from the commit again. */
  forget(topic: string, partition: number): void {
    this.expected.delete(`${topic}\u0000${partition}`);
  }
}
