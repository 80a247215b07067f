import type { ScenarioResult } from './scenario-result.js';

/**
 * bench/floors.json, by scenario then key (keys starting with `_`, at either level, are comments):
 * - `"<ratio>": n` — a floor: the ratio's median must be at least n;
 * - `"max <ratio>": n` — a ceiling on a ratio where lower is better (CPU against the bare loop);
 * - `"max rss <role>": n` — a ceiling on the peak RSS of a process role, MiB;
 * - `"max cpu <role>": n` — a ceiling on the CPU seconds per 100,000 records of a process role.
 */
export type Floors = Record<string, Record<string, number>>;

/** Why a scenario has no result: it broke, or what it measures does not exist yet. */
export interface ScenarioError {
  message: string;
  unavailable: boolean;
}

export interface FloorCheck {
  scenario: string;
  /** What is checked: a ratio name, `rss <role>` or `cpu <role>`. */
  ratio: string;
  /** `floor`: the value must be at least the limit; `ceiling`: at most. */
  kind: 'floor' | 'ceiling';
  /** The limit (named `floor` for both kinds, as the file calls them). */
  floor: number;
  /** The median this run; absent when the scenario produced none. */
  median?: number;
  /**
   * `ok`; `below` a floor or `above` a ceiling; `missing` (the scenario ran or broke without giving
   * this value); `unavailable` (the scenario cannot run yet: reported, not failed); `unconfirmed`
   * (out of bounds in the first run, within them when the scenario ran again: noise, not failed).
   */
  status: 'ok' | 'below' | 'above' | 'missing' | 'unavailable' | 'unconfirmed';
  /** The value of the confirming run, when the scenario ran a second time. */
  confirmation?: number;
}

/** What a key of floors.json checks. */
export function parseFloorKey(key: string): {
  kind: FloorCheck['kind'];
  what: 'ratio' | 'rss' | 'cpu';
  name: string;
} {
  const ceiling = /^max\s+(?:(rss|cpu)\s+)?(.+)$/.exec(key);
  if (!ceiling) return { kind: 'floor', what: 'ratio', name: key };
  return { kind: 'ceiling', what: (ceiling[1] as 'rss' | 'cpu' | undefined) ?? 'ratio', name: ceiling[2]! };
}

function valueOf(
  result: ScenarioResult | undefined,
  key: ReturnType<typeof parseFloorKey>,
): number | undefined {
  if (!result) return undefined;
  if (key.what === 'rss') return result.peakRssMiB[key.name];
  if (key.what === 'cpu') return result.cpuSecondsPer100k?.[key.name];
  return result.ratios[key.name]?.median;
}

const withinBounds = (kind: FloorCheck['kind'], value: number, limit: number) =>
  kind === 'floor' ? value >= limit : value <= limit;

/**
 * Checks every floor and ceiling of the scenarios chosen this run. A scenario that ran a second
 * time to confirm a failure (`confirmations`) fails only when the second run is out of bounds too:
 * one noisy run on a shared machine never fails a build. Only `below`, `above` and `missing` fail
 * it: a ratio against its same-run baseline, a peak RSS or CPU per record, never an absolute time.
 */
export function checkFloors(
  floors: Floors,
  chosen: readonly string[],
  results: Readonly<Record<string, ScenarioResult>>,
  errors: Readonly<Record<string, ScenarioError>>,
  confirmations: Readonly<Record<string, ScenarioResult>> = {},
): FloorCheck[] {
  const checks: FloorCheck[] = [];
  for (const scenario of chosen) {
    for (const [name, floor] of Object.entries(floors[scenario] ?? {})) {
      if (name.startsWith('_')) continue;
      const key = parseFloorKey(name);
      const ratio = key.what === 'ratio' ? key.name : `${key.what} ${key.name}`;
      const median = valueOf(results[scenario], key);
      if (median === undefined) {
        checks.push({
          scenario,
          ratio,
          kind: key.kind,
          floor,
          status: errors[scenario]?.unavailable ? 'unavailable' : 'missing',
        });
        continue;
      }
      const check: FloorCheck = { scenario, ratio, kind: key.kind, floor, median, status: 'ok' };
      if (!withinBounds(key.kind, median, floor)) {
        const confirmation = valueOf(confirmations[scenario], key);
        if (confirmation !== undefined) check.confirmation = confirmation;
        check.status =
          confirmation !== undefined && withinBounds(key.kind, confirmation, floor)
            ? 'unconfirmed'
            : key.kind === 'floor'
              ? 'below'
              : 'above';
      }
      checks.push(check);
    }
  }
  return checks;
}

/** True when a check should fail the build. */
export const failsBuild = (check: FloorCheck): boolean =>
  check.status === 'below' || check.status === 'above' || check.status === 'missing';

/** True when a check is out of bounds and its scenario should run again to confirm it. */
export const needsConfirmation = (check: FloorCheck): boolean =>
  check.status === 'below' || check.status === 'above';

/** One line per check, e.g. `FAIL sink-postgres sinkToStagingUpsert 0.41 < floor 0.5 (18% below)`. */
export function describeFloorCheck(check: FloorCheck): string {
  const name = `${check.scenario} ${check.ratio}`;
  const limit = check.kind === 'floor' ? 'floor' : 'ceiling';
  const again = check.confirmation !== undefined ? `; ${check.confirmation} when run again` : '';
  switch (check.status) {
    case 'ok':
      return `ok   ${name} ${check.median} ${check.kind === 'floor' ? '≥' : '≤'} ${limit} ${check.floor}`;
    case 'below': {
      const short = Math.round((1 - check.median! / check.floor) * 100);
      return `FAIL ${name} ${check.median} < floor ${check.floor} (${short}% below${again})`;
    }
    case 'above': {
      const over = Math.round((check.median! / check.floor - 1) * 100);
      return `FAIL ${name} ${check.median} > ceiling ${check.floor} (${over}% above${again})`;
    }
    case 'unconfirmed':
      return `ok?  ${name} ${check.median} out of bounds (${limit} ${check.floor}) in the first run, ${check.confirmation} when run again: noise, not failed`;
    case 'missing':
      return `FAIL ${name}: not measured (${limit} ${check.floor}); the scenario failed or no longer reports it`;
    case 'unavailable':
      return `ERROR ${name}: not measured, the scenario cannot run yet (${limit} ${check.floor} not checked)`;
  }
}
