import type { ScenarioResult } from './scenario-result.js';

/** bench/floors.json: the lowest acceptable median of each ratio, by scenario then ratio name; keys starting with `_` (at either level) are comments. */
export type Floors = Record<string, Record<string, number>>;

/** Why a scenario has no result: it broke, or what it measures does not exist yet. */
export interface ScenarioError {
  message: string;
  unavailable: boolean;
}

export interface FloorCheck {
  scenario: string;
  ratio: string;
  floor: number;
  /** The ratio's median this run; absent when the scenario produced none. */
  median?: number;
  /**
   * `ok`; `below` the floor; `missing` (the scenario ran or broke without giving this ratio);
   * `unavailable` (the scenario cannot run yet: reported, not failed).
   */
  status: 'ok' | 'below' | 'missing' | 'unavailable';
}

/**
 * Checks every floor of the scenarios that were chosen this run against the ratios' medians.
 * Only `below` and `missing` fail a build: a ratio against its same-run baseline, never an
 * absolute time. Keys starting with `_` in floors.json are comments.
 */
export function checkFloors(
  floors: Floors,
  chosen: readonly string[],
  results: Readonly<Record<string, ScenarioResult>>,
  errors: Readonly<Record<string, ScenarioError>>,
): FloorCheck[] {
  const checks: FloorCheck[] = [];
  for (const scenario of chosen) {
    for (const [ratio, floor] of Object.entries(floors[scenario] ?? {})) {
      if (ratio.startsWith('_')) continue;
      const median = results[scenario]?.ratios[ratio]?.median;
      if (median !== undefined)
        checks.push({ scenario, ratio, floor, median, status: median >= floor ? 'ok' : 'below' });
      else
        checks.push({
          scenario,
          ratio,
          floor,
          status: errors[scenario]?.unavailable ? 'unavailable' : 'missing',
        });
    }
  }
  return checks;
}

/** True when a check should fail the build. */
export const failsBuild = (check: FloorCheck): boolean =>
  check.status === 'below' || check.status === 'missing';

/** One line per check, e.g. `FAIL sink-postgres sinkToStagingUpsert 0.41 < floor 0.5 (18% below)`. */
export function describeFloorCheck(check: FloorCheck): string {
  const name = `${check.scenario} ${check.ratio}`;
  switch (check.status) {
    case 'ok':
      return `ok   ${name} ${check.median} ≥ floor ${check.floor}`;
    case 'below': {
      const short = Math.round((1 - check.median! / check.floor) * 100);
      return `FAIL ${name} ${check.median} < floor ${check.floor} (${short}% below)`;
    }
    case 'missing':
      return `FAIL ${name}: no ratio measured (floor ${check.floor}); the scenario failed or no longer reports it`;
    case 'unavailable':
      return `ERROR ${name}: not measured, the scenario cannot run yet (floor ${check.floor} not checked)`;
  }
}
