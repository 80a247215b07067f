import { describe, expect, it } from 'vitest';
import { BadRecordError, RetryableError } from '../contract/index.js';
import { backoffDelay, retryTransient, WorkAbandonedError } from './retry.js';

const policy = { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0.2 };
const fast = { initialDelayMs: 1, maxDelayMs: 2, multiplier: 2, jitter: 0 };
const hooks = (active = () => true) => ({
  onRetry: () => undefined,
  keepAlive: () => Promise.resolve(),
  isActive: active,
});

describe('backoffDelay', () => {
  it('grows exponentially and stops at the cap', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, mid))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('spreads each delay by the jitter share', () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(80);
    expect(backoffDelay(policy, 1, () => 1)).toBe(120);
  });
});

describe('retryTransient', () => {
  it('retries transient failures until the work succeeds', async () => {
    let calls = 0;
    const result = await retryTransient(
      () => (++calls < 4 ? Promise.reject(new RetryableError('busy')) : Promise.resolve('done')),
      fast,
      hooks(),
    );
    expect([result, calls]).toEqual(['done', 4]);
  });

  it('does not retry a permanent failure', async () => {
    let calls = 0;
    const work = () => {
      calls++;
      return Promise.reject(new BadRecordError('bad', 'no'));
    };
    await expect(retryTransient(work, fast, hooks())).rejects.toBeInstanceOf(BadRecordError);
    expect(calls).toBe(1);
  });

  it('abandons the work when it stops being active', async () => {
    const work = () => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    await expect(
      retryTransient(
        work,
        fast,
        hooks(() => false),
      ),
    ).rejects.toBeInstanceOf(WorkAbandonedError);
  });

  it('ends the wait early when the probe says the dependency answers again', async () => {
    const slow = { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 2, jitter: 0 };
    let calls = 0;
    let probes = 0;
    const started = Date.now();
    const result = await retryTransient(
      () => (++calls === 1 ? Promise.reject(new RetryableError('down')) : Promise.resolve('up')),
      slow,
      {
        ...hooks(),
        probe: () => (++probes < 3 ? Promise.reject(new Error('still down')) : Promise.resolve()),
      },
    );
    expect(result).toBe('up');
    expect(probes).toBe(3);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports each success, so a dependency that answers again stops being reported as failing', async () => {
    const events: string[] = [];
    let calls = 0;
    await retryTransient(
      () => (++calls < 3 ? Promise.reject(new RetryableError('busy')) : Promise.resolve()),
      fast,
      { ...hooks(), onRetry: () => events.push('retry'), onSuccess: () => events.push('success') },
    );
    expect(events).toEqual(['retry', 'retry', 'success']);
  });
});
