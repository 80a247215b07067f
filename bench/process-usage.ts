/**
 * CPU time and peak resident set of processes the benchmarks start (the CLI and its workers, a
 * receiver, a bare consumer), read from /proc as the kernel counts them: `utime + stime` of
 * /proc/<pid>/stat (what the process's own `process.resourceUsage()` would report) and VmHWM of
 * /proc/<pid>/status. Sampled for a process and every descendant; Linux only (elsewhere nothing is
 * seen and the figures are absent, never invented).
 */
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';

export interface ProcessUsage {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  /** Peak resident set (VmHWM), KiB. */
  peakRssKiB: number;
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`, 100 on every Linux we run on). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** `utime + stime` of /proc/<pid>/stat, seconds. The command name may hold spaces: fields follow the last `)`. */
export function parseCpuSeconds(stat: string, ticks: number): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of the man page, utime 14 and stime 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / ticks : undefined;
}

/** CPU seconds and VmHWM of one process; undefined once it is gone. */
export async function readProcessUsage(pid: number): Promise<ProcessUsage | undefined> {
  try {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    const cpuSeconds = parseCpuSeconds(stat, clockTicks());
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (cpuSeconds === undefined || !hwm) return undefined;
    return { cpuSeconds, peakRssKiB: Number(hwm[1]) };
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

export interface ProcessTreeWatch {
  /** Samples the tree now; the latest usage of every process seen so far, by pid. */
  sample(): Promise<Map<number, ProcessUsage>>;
  /** Stops sampling after one last sample; the same map. */
  stop(): Promise<Map<number, ProcessUsage>>;
}

/**
 * Samples the CPU time and peak RSS of `pid` and every descendant every `intervalMs` until
 * stopped. Both only grow, so the last sample of a process is its figure up to then; what a
 * process spends in its last interval before it exits is missed (small next to a run of seconds).
 */
export function watchProcessTree(pid: number, intervalMs = 100): ProcessTreeWatch {
  const usage = new Map<number, ProcessUsage>();
  const sampleOnce = async () => {
    const seen = new Set<number>();
    const visit = async (id: number): Promise<void> => {
      if (seen.has(id)) return;
      seen.add(id);
      const now = await readProcessUsage(id);
      if (now) {
        const before = usage.get(id);
        usage.set(id, {
          cpuSeconds: Math.max(before?.cpuSeconds ?? 0, now.cpuSeconds),
          peakRssKiB: Math.max(before?.peakRssKiB ?? 0, now.peakRssKiB),
        });
      }
      await Promise.all((await childrenOf(id)).map(visit));
    };
    await visit(pid);
  };
  // Samples run one after another, never two at once.
  let running = sampleOnce();
  const next = () => (running = running.then(sampleOnce));
  const timer = setInterval(() => void next(), intervalMs);
  return {
    sample: async () => {
      await next();
      return new Map(usage);
    },
    stop: async () => {
      clearInterval(timer);
      await next();
      return new Map(usage);
    },
  };
}

/** CPU seconds of a whole tree (sum over its processes). */
export const treeCpuSeconds = (usage: ReadonlyMap<number, ProcessUsage>): number =>
  [...usage.values()].reduce((sum, u) => sum + u.cpuSeconds, 0);

/** CPU seconds per 100,000 records: the figure that resists a shared machine's noise. */
export const cpuPer100k = (cpuSeconds: number, records: number): number =>
  records > 0 ? (cpuSeconds * 100_000) / records : Number.NaN;

/** This process's user + system CPU seconds so far (`process.cpuUsage`, all its threads). */
export const ownCpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** CPU seconds so far of the servers on this machine: every PostgreSQL process, the Kafka broker, MinIO. */
export interface StackCpu {
  postgres: number;
  kafka: number;
  minio: number;
  /** Busy CPU seconds of the whole machine (all cores, /proc/stat): everything, ours and others'. */
  machine: number;
}

/**
 * The stack's CPU counters now, for a window's difference. The servers are shared with whatever
 * else runs on the machine, so a window's figures include that work too.
 */
export async function readStackCpu(): Promise<StackCpu> {
  const ticks = clockTicks();
  let postgres = 0;
  let kafka = 0;
  let minio = 0;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name === 'postgres') postgres += parseCpuSeconds(stat, ticks) ?? 0;
      else if (name === 'minio') minio += parseCpuSeconds(stat, ticks) ?? 0;
      else if (name === 'java' && (await readFile(`/proc/${entry}/cmdline`, 'utf8')).includes('kafka.Kafka'))
        kafka += parseCpuSeconds(stat, ticks) ?? 0;
    } catch {
      // gone meanwhile
    }
  }
  const total = (await readFile('/proc/stat', 'utf8').catch(() => '')).split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
  const fields = total.split(/\s+/).slice(1).map(Number);
  const machine =
    fields.length >= 8 ? (fields.reduce((a, b) => a + b, 0) - fields[3]! - fields[4]!) / ticks : 0;
  return { postgres, kafka, minio, machine };
}
