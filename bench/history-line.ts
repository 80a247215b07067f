import { failsBuild } from './check-floors.js';
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
  /** By scenario: `f` headline figure medians, `r` ratio medians, `rss` largest peak RSS (MiB). */
  s: Record<string, { f: Record<string, number>; r: Record<string, number>; rss?: number }>;
  /** Scenarios that gave no result. */
  err?: string[];
  /** `scenario ratio` of every floor that failed. */
  fail?: string[];
}

/** The headline figures: the declared ones, else the first eight throughputs. */
export function headlineFigures(result: ScenarioResult): string[] {
  if (result.headline) return result.headline.filter((name) => result.figures[name]);
  return Object.entries(result.figures)
    .filter(([, figure]) => figure.unit.endsWith('/s'))
    .slice(0, 8)
    .map(([name]) => name);
}

export function historyEntry(run: BenchRun): HistoryEntry {
  const s: HistoryEntry['s'] = {};
  for (const [name, result] of Object.entries(run.scenarios)) {
    const rss = Object.values(result.peakRssMiB);
    s[name] = {
      f: Object.fromEntries(
        headlineFigures(result).map((figure) => [figure, result.figures[figure]!.median]),
      ),
      r: Object.fromEntries(Object.entries(result.ratios).map(([ratio, value]) => [ratio, value.median])),
      ...(rss.length ? { rss: Math.max(...rss) } : {}),
    };
  }
  const err = Object.keys(run.errors);
  const fail = run.floors.filter(failsBuild).map((check) => `${check.scenario} ${check.ratio}`);
  return {
    at: run.at,
    ...(run.commit ? { commit: run.commit.id.slice(0, 10), dirty: run.commit.dirty } : {}),
    quick: run.quick,
    node: run.node,
    cores: run.machine.cores,
    s,
    ...(err.length ? { err } : {}),
    ...(fail.length ? { fail } : {}),
  };
}

/** The entry as one JSON line, newline included. */
export function historyLine(run: BenchRun): string {
  return `${JSON.stringify(historyEntry(run))}\n`;
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
