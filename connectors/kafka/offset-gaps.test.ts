import { describe, expect, it } from 'vitest';
import { OffsetGapGuard, offsetGap } from './offset-gaps.js';

/** Lookups over literals, counting how often the broker would be asked. */
function lookups(committed: bigint | undefined, logStart: bigint) {
  const asked = { committed: 0, logStart: 0 };
  return {
    asked,
    lookups: {
      committed: () => {
        asked.committed++;
        return Promise.resolve(committed);
      },
      logStart: () => {
        asked.logStart++;
        return Promise.resolve(logStart);
      },
    },
  };
}

describe('offsetGap', () => {
  it('is the records between a committed offset below the log start and the log start', () => {
    expect(offsetGap('docs', 0, '100', '150')).toMatchObject({ position: 100n, logStart: 150n, records: 50 });
    expect(offsetGap('docs', 0, '150', '150')).toBeUndefined();
    expect(offsetGap('docs', 0, '-1', '150')).toBeUndefined();
  });
});

describe('OffsetGapGuard', () => {
  it('refuses a first batch that starts past a committed offset the log no longer holds', async () => {
    const { lookups: l } = lookups(100n, 150n);
    const refusal = await new OffsetGapGuard(l).check('docs', 2, 150n);
    expect(refusal?.gap).toMatchObject({
      topic: 'docs',
      partition: 2,
      position: 100n,
      logStart: 150n,
      records: 50,
    });
    expect(refusal?.message).toMatch(
      /^docs partition 2: the committed offset 100 is below the log start 150; 50 record\(s\) were deleted .*--accept-gap/,
    );
  });

  it('lets a group without a commit start wherever the log starts', async () => {
    const { lookups: l, asked } = lookups(undefined, 150n);
    expect(await new OffsetGapGuard(l).check('docs', 0, 150n)).toBeUndefined();
    expect(asked.logStart).toBe(0);
  });

  it('takes holes that compaction left in the offsets for what they are', async () => {
    const { lookups: l } = lookups(100n, 0n);
    const guard = new OffsetGapGuard(l);
    expect(await guard.check('docs', 0, 140n)).toBeUndefined();
    guard.delivered('docs', 0, 180n);
    expect(await guard.check('docs', 0, 190n)).toBeUndefined();
  });

  it('refuses a later batch when the records after the last one were deleted meanwhile', async () => {
    const { lookups: l, asked } = lookups(100n, 400n);
    const guard = new OffsetGapGuard(l);
    expect(await guard.check('docs', 0, 100n)).toBeUndefined();
    guard.delivered('docs', 0, 200n);
    const refusal = await guard.check('docs', 0, 400n);
    expect(refusal?.gap.records).toBe(200);
    expect(refusal?.message).toMatch(/the next offset to process 200 is below the log start 400/);
    expect(asked.committed).toBe(1);
  });

  it('asks for the committed offset again after the partition was given up', async () => {
    const { lookups: l, asked } = lookups(100n, 0n);
    const guard = new OffsetGapGuard(l);
    await guard.check('docs', 0, 100n);
    guard.forget('docs', 0);
    await guard.check('docs', 0, 100n);
    expect(asked.committed).toBe(2);
  });
});
