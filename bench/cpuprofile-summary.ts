/**
 * Where the time of a V8 CPU profile (`node --cpu-prof`, a `.cpuprofile` JSON file) goes: self
 * time per function and per category (our runtime, our connectors, each npm package, Node's core,
 * V8 builtins, the garbage collector, idle), optionally only for the samples inside a time window
 * given in the profile's clock (microseconds of the monotonic clock, as `process.hrtime`).
 *
 * Run on a file: `node dist/bench/cpuprofile-summary.js <file.cpuprofile> [top]`.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** A function's total time: its own and that of everything it called (each sample counted once). */
export interface TotalTime {
  name: string;
  location: string;
  category: string;
  totalMs: number;
  /** Share of the busy (non-idle) time. */
  totalPercent: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds, monotonic clock. */
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds between consecutive samples (the first one from `startTime`). */
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** `file:line` (file relative to the repository or package), or empty for VM entries. */
  location: string;
  category: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  selfPercent: number;
}

export interface ProfileSummary {
  /** Wall time the samples cover. */
  sampledMs: number;
  /** Of it, time the process was idle (waiting for I/O). */
  idleMs: number;
  busyMs: number;
  byCategory: { category: string; selfMs: number; selfPercent: number }[];
  top: SelfTime[];
  /** The functions with the most total (inclusive) time, VM entries left out. */
  topTotal: TotalTime[];
}

const vmEntries = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Which part of the system a frame belongs to, from its script URL. */
export function categoryOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (vmEntries.has(functionName)) return functionName;
  if (!url) return 'V8 builtins and natives';
  if (url.startsWith('node:')) return 'node core';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/dist\/(runtime|connectors|processors|commcare|server|schemas|cli|bench)\//.exec(url);
  if (ours) return `tributary ${ours[1]}`;
  return 'other';
}

function shortLocation(frame: CallFrame): string {
  if (!frame.url) return '';
  const path = frame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/dist\//, '');
  return `${path}:${frame.lineNumber + 1}`;
}

/**
 * Self time per function of `profile`; with `window`, only samples taken between `fromUs` and
 * `toUs` count. Each sample weighs the time until the next one.
 */
export function summariseProfile(
  profile: CpuProfile,
  options: { top?: number; window?: { fromUs: number; toUs: number } } = {},
): ProfileSummary {
  const top = options.top ?? 15;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  const { fromUs = -Infinity, toUs = Infinity } = options.window ?? {};
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const weight = profile.timeDeltas[i + 1] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + weight);
  }

  // One function may appear as several nodes (one per call path): merge them by name and place.
  const byFunction = new Map<string, { frame: CallFrame; us: number }>();
  let sampledUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id)!;
    sampledUs += us;
    if (frame.functionName === '(idle)') idleUs += us;
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
    const entry = byFunction.get(key);
    if (entry) entry.us += us;
    else byFunction.set(key, { frame, us });
  }
  const busyUs = sampledUs - idleUs;
  const percent = (us: number) => (busyUs > 0 ? Math.round((1000 * us) / busyUs) / 10 : 0);
  const ms = (us: number) => Math.round(us / 100) / 10;

  const categories = new Map<string, number>();
  const functions: SelfTime[] = [];
  for (const { frame, us } of byFunction.values()) {
    if (frame.functionName === '(idle)') continue;
    const category = categoryOf(frame);
    categories.set(category, (categories.get(category) ?? 0) + us);
    functions.push({
      name: frame.functionName || '(anonymous)',
      location: shortLocation(frame),
      category,
      selfMs: ms(us),
      selfPercent: percent(us),
    });
  }
  return {
    sampledMs: ms(sampledUs),
    idleMs: ms(idleUs),
    busyMs: ms(busyUs),
    topTotal: totalTimes(profile, selfUs, top).map(({ frame, us }) => ({
      name: frame.functionName || '(anonymous)',
      location: shortLocation(frame),
      category: categoryOf(frame),
      totalMs: ms(us),
      totalPercent: percent(us),
    })),
    byCategory: [...categories]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, selfMs: ms(us), selfPercent: percent(us) })),
    top: functions.sort((a, b) => b.selfMs - a.selfMs).slice(0, top),
  };
}

/** Inclusive time per function (merged by name and place), from the self time of each node. */
function totalTimes(
  profile: CpuProfile,
  selfUs: ReadonlyMap<number, number>,
  top: number,
): { frame: CallFrame; us: number }[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, { frame: CallFrame; us: number }>();
  for (const [id, us] of selfUs) {
    if (nodes.get(id)!.callFrame.functionName === '(idle)') continue;
    // A recursive function is on the stack more than once: count the sample once.
    const counted = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)!.callFrame;
      if (vmEntries.has(frame.functionName) && frame.functionName !== '(garbage collector)') continue;
      const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
      if (counted.has(key)) continue;
      counted.add(key);
      const entry = totals.get(key);
      if (entry) entry.us += us;
      else totals.set(key, { frame, us });
    }
  }
  return [...totals.values()].sort((a, b) => b.us - a.us).slice(0, top);
}

export async function readProfile(file: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench/cpuprofile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const summary = summariseProfile(await readProfile(file), { top: top ? Number(top) : 25 });
  console.log(JSON.stringify(summary, null, 2));
}
