/**
 * kafkajs 2.2.4 (its last release) arms a timer with a negative delay on every connection: its
 * request queue computes `throttledUntil - Date.now()` while `throttledUntil` is still -1 (never
 * throttled), and Node ≥ 23 reports each such timer as a TimeoutNegativeWarning. The delay is
 * clamped to 1 ms either way; the warning is noise in every test and benchmark run. The fix lives
 * here, not in node_modules: while that one method schedules its check with nothing pending and no
 * throttle in force, it sees a throttle ending now, so the delay it computes is 0 or 1 ms (what
 * Node would have used) and no warning is raised. Everything else about the queue is unchanged.
 */
import { createRequire } from 'node:module';

interface RequestQueueInternals {
  throttledUntil: number;
  pending: unknown[];
  scheduleCheckPendingRequests: (this: RequestQueueInternals) => void;
}

let guarded = false;

/** Installs the fix once per process; safe to call from every place that uses kafkajs. */
export function guardKafkajsTimers(): void {
  if (guarded) return;
  guarded = true;
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueInternals;
  };
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    const throttledUntil = this.throttledUntil;
    const idle = this.pending.length === 0 && throttledUntil <= Date.now();
    if (idle) this.throttledUntil = Date.now() + 1;
    try {
      schedule.call(this);
    } finally {
      if (idle) this.throttledUntil = throttledUntil;
    }
  };
}
