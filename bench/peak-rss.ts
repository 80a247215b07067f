import { watchProcessTree } from './process-usage.js';

export interface PeakRssWatch {
  /** Stops sampling; the largest VmHWM seen of each process of the tree, KiB, by pid. */
  stop(): Promise<Map<number, number>>;
}

/**
 * Samples the peak RSS of `pid` and every descendant every `intervalMs` until stopped (see
 * process-usage.ts, which also counts their CPU time). Linux only: elsewhere nothing is seen.
 */
export function watchPeakRss(pid: number, intervalMs = 100): PeakRssWatch {
  const watch = watchProcessTree(pid, intervalMs);
  return {
    stop: async () =>
      new Map([...(await watch.stop())].map(([id, usage]) => [id, usage.peakRssKiB] as const)),
  };
}
