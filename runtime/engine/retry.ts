/** Capped exponential backoff with jitter, and a loop that retries transient failures only. */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable } from '../contract/index.js';
import type { RetryPolicy } from '../config/pipeline-schema.js';

/** Delay before attempt `attempt + 1` (attempt counts from 1), in ms. `random` is injectable for tests. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + 2 * spread * random()));
}

/** Thrown when a retry loop gives up because its work no longer belongs to this worker. */
export class WorkAbandonedError extends Error {
  override readonly name = 'WorkAbandonedError';
}

export interface RetryHooks {
  /** Called before each wait; `error` is the transient failure. */
  onRetry(error: unknown, attempt: number, delayMs: number): void;
  /** Called about every second while waiting (Kafka heartbeats). */
  keepAlive(): Promise<void>;
  /** False when the work should be abandoned (lane revoked, worker stopping). */
  isActive(): boolean;
}

/**
 * Runs `work` until it succeeds or fails permanently; transient failures wait and try again, forever.
 * `firstFailure` is a failure of an attempt the caller already made (it is waited on like any other).
 */
export async function retryTransient<T>(
  work: () => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks,
  firstFailure?: unknown,
): Promise<T> {
  let attempt = 0;
  const waitOrGiveUp = async (error: unknown) => {
    if (!isRetryable(error)) throw error instanceof Error ? error : new Error(String(error));
    if (!hooks.isActive())
      throw new WorkAbandonedError('stopped while retrying a transient failure', { cause: error });
    const delay = backoffDelay(policy, ++attempt);
    hooks.onRetry(error, attempt, delay);
    const until = Date.now() + delay;
    while (Date.now() < until) {
      await sleep(Math.min(1000, until - Date.now()));
      await hooks.keepAlive().catch(() => undefined);
      if (!hooks.isActive())
        throw new WorkAbandonedError('stopped while retrying a transient failure', { cause: error });
    }
  };
  if (firstFailure !== undefined) await waitOrGiveUp(firstFailure);
  for (;;) {
    try {
      return await work();
    } catch (error) {
      await waitOrGiveUp(error);
    }
  }
}
