/**
 * Following a consumer group from outside, for the scenarios that run a worker process (`ingest`,
 * `kafka-postgres`): its committed offsets polled until they reach the end of its topics, the rate
 * and the CPU time of the processes in the window from the first commit seen to the last, process
 * start and group join left out. Both sides of a comparison commit only once their rows are durable.
 */
import type { ChildProcess } from 'node:child_process';
import type { Admin } from '../connectors/kafka/kafka-client.js';
import type { ProcessTreeWatch } from './process-usage.js';

export interface Timed {
  /** Documents per second from the first commit seen to the last document committed. */
  documentsPerSecond: number;
  /** The same from the process start. */
  documentsPerSecondWithStartup: number;
  startupSeconds: number;
  /** Documents committed inside the timed window. */
  steadyDocuments: number;
  /** CPU seconds each process (by pid) spent inside the timed window. */
  windowCpuSeconds: Map<number, number>;
}

/**
 * Polls the group's committed offsets on its topics until they reach the end; the rate counts
 * only what was committed after the first commit seen, so process start and group join are left
 * out, and so does the CPU time of each process (sampled at the first commit and at the last).
 */
export async function timeCommits(
  admin: Admin,
  group: string,
  topics: string[],
  ends: Map<string, bigint>,
  total: number,
  startedMs: number,
  proc: ChildProcess,
  watch: ProcessTreeWatch,
  timeoutMs: number,
): Promise<Timed> {
  let first: { at: number; committed: number; cpu: Map<number, number> } | undefined;
  const cpuNow = async () =>
    new Map([...(await watch.sample())].map(([pid, usage]) => [pid, usage.cpuSeconds] as const));
  let exited: string | undefined;
  proc.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  for (;;) {
    let committed = 0n;
    for (const topic of topics)
      for (const { partition, offset } of await admin.groupOffsets(group, topic)) {
        const end = ends.get(`${topic}:${partition}`) ?? 0n;
        committed += offset === '-1' ? 0n : BigInt(offset) > end ? end : BigInt(offset);
      }
    const now = performance.now();
    const done = Number(committed);
    if (done > 0 && !first) first = { at: now, committed: done, cpu: await cpuNow() };
    if (done >= total) {
      const steady = first && now > first.at ? (total - first.committed) / ((now - first.at) / 1000) : 0;
      const withStartup = total / ((now - startedMs) / 1000);
      const cpuAtEnd = await cpuNow();
      const cpuAtStart = steady ? first!.cpu : new Map<number, number>();
      return {
        documentsPerSecond: steady || withStartup,
        documentsPerSecondWithStartup: withStartup,
        startupSeconds: ((first?.at ?? now) - startedMs) / 1000,
        steadyDocuments: steady ? total - first!.committed : total,
        windowCpuSeconds: new Map(
          [...cpuAtEnd].map(([pid, cpu]) => [pid, cpu - (cpuAtStart.get(pid) ?? 0)] as const),
        ),
      };
    }
    if (exited) throw new Error(`${group}: the process ${exited} with ${done}/${total} documents committed`);
    if (now - startedMs > timeoutMs)
      throw new Error(`${group}: ${done}/${total} documents committed after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until the group is stable with `members` members holding partitions. With 2 workers the
 * documents are produced only then: otherwise the first worker would read most of a quick run's
 * documents alone while the second starts, and the figure would not be the rate of 2 workers.
 */
export async function waitForMembers(
  admin: Admin,
  group: string,
  members: number,
  proc: ChildProcess,
  timeoutMs: number,
) {
  const started = performance.now();
  for (;;) {
    const description = await admin.describeGroup(group).catch(() => undefined);
    if (
      description?.state === 'Stable' &&
      description.members.filter((m) => m.assignments.length).length >= members
    )
      return;
    if (proc.exitCode !== null)
      throw new Error(`${group}: the process exited with ${proc.exitCode} before the group formed`);
    if (performance.now() - started > timeoutMs)
      throw new Error(`${group}: no stable group of ${members} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops a run's process (SIGTERM, then SIGKILL of every process of its tree after 30 s). */
export async function stopProcess(proc: ChildProcess, pids: Iterable<number>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 30_000);
  await exited;
  clearTimeout(timer);
}

/** The last `lines` lines of a process's output. */
export const tail = (text: string, lines = 30) => text.split('\n').slice(-lines).join('\n');
