import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { guardKafkajsTimers } from './kafkajs-timers.js';

interface Queue {
  scheduleCheckPendingRequests(): void;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
}
const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (
  options: object,
) => Queue;

/** The names of the process warnings raised while an idle kafkajs request queue schedules its check. */
async function warningsOfAnIdleQueue(): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on('warning', onWarning);
  const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, clientId: 'test' });
  queue.scheduleCheckPendingRequests();
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearTimeout(queue.throttleCheckTimeoutId!);
  process.off('warning', onWarning);
  expect(queue.throttledUntil).toBe(-1);
  return warnings;
}

describe('guardKafkajsTimers', () => {
  it('stops the TimeoutNegativeWarning an idle kafkajs request queue raises, changing nothing else', async () => {
    // The cause: a queue that was never throttled schedules its check `-1 - Date.now()` ms ahead.
    const idle = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, clientId: 'test' });
    expect(idle.throttledUntil - Date.now()).toBeLessThan(0);
    guardKafkajsTimers();
    expect(await warningsOfAnIdleQueue()).toEqual([]);
  });
});
