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

/** How often a waiting loop asks the failing dependency whether it answers again. */
const probeIntervalMs = 250;
/** How often a waiting loop keeps the source's session alive and checks it still owns the work. */
const keepAliveIntervalMs = 1000;

export interface RetryHooks {
  /** Called before each wait; `error` is the transient failure. */
  onRetry(error: unknown, attempt: number, delayMs: number): void;
  /** Called whenever the work succeeds, after failures or not (readiness clears the dependency's failure). */
  onSuccess?(): void;
  /** Called about every second while waiting (Kafka heartbeats). */
  keepAlive(): Promise<void>;
  /** False when the work should be abandoned (lane revoked, worker stopping). */
  isActive(): boolean;
  /**
   * Asks the failing dependency whether it answers again (a cheap round trip); when it resolves,
   * the wait ends early and the work is tried at once. Called every 250 ms while waiting.
   */
  probe?(): Promise<void>;
}

/**
 * Waits `delayMs`, keeping the session alive; ends early when the probe answers. Throws
 * WorkAbandonedError as soon as the work stops being active.
 */
async function waitForRetry(delayMs: number, hooks: RetryHooks, cause: unknown): Promise<void> {
  const abandoned = () => new WorkAbandonedError('stopped while retrying a transient failure', { cause });
  const until = Date.now() + delayMs;
  const tickMs = hooks.probe ? probeIntervalMs : keepAliveIntervalMs;
  let keptAliveAt = Date.now();
  while (Date.now() < until) {
    await sleep(Math.min(tickMs, until - Date.now()));
    if (Date.now() - keptAliveAt >= keepAliveIntervalMs || !hooks.probe) {
      keptAliveAt = Date.now();
      await hooks.keepAlive().catch(() => undefined);
    }
    if (!hooks.isActive()) throw abandoned();
    if (hooks.probe && Date.now() < until && (await answers(() => hooks.probe!(), until - Date.now())))
      return;
  }
}

/** Whether the probe resolves within `withinMs` (a probe that hangs counts as no answer). */
async function answers(probe: () => Promise<void>, withinMs: number): Promise<boolean> {
  const timeout = new AbortController();
  const answered = probe().then(
    () => true,
    () => false,
  );
  const gaveUp = sleep(withinMs, false, { signal: timeout.signal }).catch(() => false);
  const result = await Promise.race([answered, gaveUp]);
  timeout.abort();
  return result;
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
    await waitForRetry(delay, hooks, error);
  };
  if (firstFailure !== undefined) await waitOrGiveUp(firstFailure);
  for (;;) {
    try {
      const result = await work();
      hooks.onSuccess?.();
      return result;
    } catch (error) {
      await waitOrGiveUp(error);
    }
  }
}
