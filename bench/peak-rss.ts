import { readFile, readdir } from 'node:fs/promises';

/** VmHWM (peak resident set) of a process in KiB, from /proc/<pid>/status; undefined once it is gone. */
export async function readPeakRssKiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The children of `pid` (every thread's), from /proc; empty when it is gone or /proc lacks them. */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const lists = await Promise.all(
      tasks.map((task) => readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')),
    );
    return lists.flatMap((list) => list.split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

export interface PeakRssWatch {
  /** Stops sampling; the largest VmHWM seen of each process of the tree, KiB, by pid. */
  stop(): Promise<Map<number, number>>;
}

/**
 * Samples the peak RSS of `pid` and every descendant every `intervalMs` until stopped. VmHWM only
 * grows, so the last sample of a process is its peak up to then; growth in its last interval
 * before it exits is missed (small next to a run of seconds). Linux only: elsewhere nothing is seen.
 */
export function watchPeakRss(pid: number, intervalMs = 100): PeakRssWatch {
  const peaks = new Map<number, number>();
  const sample = async () => {
    const seen = new Set<number>();
    const visit = async (id: number): Promise<void> => {
      if (seen.has(id)) return;
      seen.add(id);
      const kib = await readPeakRssKiB(id);
      if (kib !== undefined) peaks.set(id, Math.max(peaks.get(id) ?? 0, kib));
      await Promise.all((await childrenOf(id)).map(visit));
    };
    await visit(pid);
  };
  let running = sample();
  const timer = setInterval(() => {
    running = running.then(sample);
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running.then(sample);
      return peaks;
    },
  };
}
