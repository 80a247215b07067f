/**
 * Timing for the benchmarks. A shared 2-core machine is noisy, so every contender is measured in
 * several short rounds taken in turn (A B C, A B C, …) and keeps its best round: a burst of load
 * from elsewhere slows one round of each, not all rounds of one.
 */

/** A function to time; `i` grows with every call, to pick inputs. Async ones are awaited one at a time. */
export type Contender = (i: number) => unknown;

export interface MeasureOptions {
  /** Time each contender runs in each round. */
  roundMs?: number;
  rounds?: number;
  /** Time each contender runs before the first round, so the JIT settles. */
  warmupMs?: number;
}

/** Calls per second of wall time, and per second of this process's CPU time, over one round. */
async function timeBoth(run: Contender, ms: number): Promise<{ wall: number; cpu: number }> {
  let calls = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(ms * 1e6));
  let now = start;
  while (now < end) {
    // Check the clock every 64 calls: cheap next to a call, fine-grained enough.
    for (let k = 0; k < 64; k++) {
      const result = run(calls++);
      if (result instanceof Promise) await result;
    }
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { wall: calls / (Number(now - start) / 1e9), cpu: calls / ((cpu.user + cpu.system) / 1e6) };
}

async function timeFor(run: Contender, ms: number): Promise<number> {
  return (await timeBoth(run, ms)).wall;
}

/**
 * Like `measureRounds`, with each round's rate also per second of CPU time (user + system of this
 * process): on a machine shared with other work a round's CPU rate moves far less than its wall rate.
 */
export async function measureRoundsWithCpu<K extends string>(
  contenders: Record<K, Contender>,
  { roundMs = 300, rounds = 5, warmupMs = 200 }: MeasureOptions = {},
): Promise<{ wall: Record<K, number[]>; cpu: Record<K, number[]> }> {
  const names = Object.keys(contenders) as K[];
  const empty = () => Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  const wall = empty();
  const cpu = empty();
  for (const name of names) await timeFor(contenders[name], warmupMs);
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const rates = await timeBoth(contenders[name], roundMs);
      wall[name].push(rates.wall);
      cpu[name].push(rates.cpu);
    }
  }
  return { wall, cpu };
}

/**
 * Calls per second of each contender in every round, rounds taken in turn (A B C, A B C, …), so
 * round i of two contenders can be paired into a ratio.
 */
export async function measureRounds<K extends string>(
  contenders: Record<K, Contender>,
  { roundMs = 300, rounds = 5, warmupMs = 200 }: MeasureOptions = {},
): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const perRound = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (const name of names) await timeFor(contenders[name], warmupMs);
  for (let round = 0; round < rounds; round++) {
    for (const name of names) perRound[name].push(await timeFor(contenders[name], roundMs));
  }
  return perRound;
}

/** Calls per second of each contender: the best of `rounds` rounds, taken in turn. */
export async function measureAll<K extends string>(
  contenders: Record<K, Contender>,
  { roundMs = 300, rounds = 5, warmupMs = 200 }: MeasureOptions = {},
): Promise<Record<K, number>> {
  const names = Object.keys(contenders) as K[];
  const best = Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
  for (const name of names) await timeFor(contenders[name], warmupMs);
  for (let round = 0; round < rounds; round++) {
    for (const name of names) best[name] = Math.max(best[name], await timeFor(contenders[name], roundMs));
  }
  return best;
}

/** Rounds to 3 significant digits, for readable JSON output. */
export function round(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(digits));
}
