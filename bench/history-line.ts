import { failsBuild, type Floors } from './check-floors.js';
import type { BenchRun, ScenarioResult } from './scenario-result.js';

/**
 * One line of bench/results/history.jsonl: a run reduced to the medians worth following over
 * commits. Short keys keep the committed file small (a few hundred bytes a run).
 */
export interface HistoryEntry {
  at: string;
  /** Commit id, 10 characters; `dirty` when the tree had changes. */
  commit?: string;
  dirty?: boolean;
  quick: boolean;
  node: string;
  cores: number;
  /**
   * By scenario: `f` headline figure medians, `r` ratio medians, `rss` largest peak RSS (MiB),
   * `cpu` CPU seconds per 100,000 records by process role.
   */
  s: Record<
    string,
    { f: Record<string, number>; r: Record<string, number>; rss?: number; cpu?: Record<string, number> }
  >;
  /** Scenarios that gave no result. */
  err?: string[];
  /** `scenario ratio` of every floor that failed. */
  fail?: string[];
  /** `scenario ratio` of every floor missed in the first run but not when run again. */
  noise?: string[];
}

/** The headline figures: the declared ones, else the first `count` throughputs. */
export function headlineFigures(result: ScenarioResult, count = 8): string[] {
  if (result.headline) return result.headline.filter((name) => result.figures[name]);
  return Object.entries(result.figures)
    .filter(([, figure]) => figure.unit.endsWith('/s'))
    .slice(0, count)
    .map(([name]) => name);
}

/** The ratios worth a place in the history: those with a floor or a ceiling, else the first four. */
export function headlineRatios(scenario: string, result: ScenarioResult, floors: Floors): string[] {
  const names = Object.keys(result.ratios);
  const floored = names.filter(
    (name) => floors[scenario]?.[name] !== undefined || floors[scenario]?.[`max ${name}`] !== undefined,
  );
  return floored.length ? floored : names.slice(0, 4);
}

/**
 * The run reduced to one entry: per scenario its headline figures (declared, else the first four
 * throughputs), its floored ratios (else its first four), its largest peak RSS and its CPU per
 * 100,000 records by role.
 */
export function historyEntry(run: BenchRun, floors: Floors = {}): HistoryEntry {
  const s: HistoryEntry['s'] = {};
  for (const [name, result] of Object.entries(run.scenarios)) {
    const rss = Object.values(result.peakRssMiB);
    s[name] = {
      f: Object.fromEntries(
        headlineFigures(result, 4).map((figure) => [figure, result.figures[figure]!.median]),
      ),
      r: Object.fromEntries(
        headlineRatios(name, result, floors).map((ratio) => [ratio, result.ratios[ratio]!.median]),
      ),
      ...(rss.length ? { rss: Math.max(...rss) } : {}),
      ...(result.cpuSecondsPer100k && Object.keys(result.cpuSecondsPer100k).length
        ? { cpu: result.cpuSecondsPer100k }
        : {}),
    };
  }
  const err = Object.keys(run.errors);
  const fail = run.floors.filter(failsBuild).map((check) => `${check.scenario} ${check.ratio}`);
  const noise = run.floors
    .filter((check) => check.status === 'unconfirmed')
    .map((check) => `${check.scenario} ${check.ratio}`);
  return {
    at: run.at,
    ...(run.commit ? { commit: run.commit.id.slice(0, 10), dirty: run.commit.dirty } : {}),
    quick: run.quick,
    node: run.node,
    cores: run.machine.cores,
    s,
    ...(err.length ? { err } : {}),
    ...(fail.length ? { fail } : {}),
    ...(noise.length ? { noise } : {}),
  };
}

/** The entry as one JSON line, newline included. */
export function historyLine(run: BenchRun, floors: Floors = {}): string {
  return `${JSON.stringify(historyEntry(run, floors))}\n`;
}

/** Every well-formed line of history.jsonl, oldest first; a broken line (a torn write) is skipped. */
export function parseHistory(text: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as HistoryEntry;
      if (entry && typeof entry.at === 'string' && typeof entry.s === 'object') entries.push(entry);
    } catch {
      // a line cut short by an interrupted append: the rest of the history still counts
    }
  }
  return entries;
}
