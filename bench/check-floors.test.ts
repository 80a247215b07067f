import { describe, expect, it } from 'vitest';
import { checkFloors, describeFloorCheck, failsBuild } from './check-floors.js';
import type { ScenarioResult } from './scenario-result.js';

const result = (ratios: Record<string, number>): ScenarioResult => ({
  scenario: 'sink-postgres',
  figures: {},
  ratios: Object.fromEntries(
    Object.entries(ratios).map(([name, median]) => [
      name,
      { min: median, median, max: median, runs: [median], of: 'a', to: 'b' },
    ]),
  ),
  peakRssMiB: {},
  seconds: 1,
});

describe('checkFloors', () => {
  const floors = { 'sink-postgres': { _note: 0, fair: 0.5 }, ingest: { oneWorker: 0.4 } };

  it('passes a ratio at or above its floor and fails one below, saying by how much', () => {
    const [ok] = checkFloors(floors, ['sink-postgres'], { 'sink-postgres': result({ fair: 0.5 }) }, {});
    const [below] = checkFloors(floors, ['sink-postgres'], { 'sink-postgres': result({ fair: 0.4 }) }, {});
    expect(ok).toMatchObject({ status: 'ok', median: 0.5 });
    expect(failsBuild(ok!)).toBe(false);
    expect(below).toMatchObject({ status: 'below', median: 0.4, floor: 0.5 });
    expect(failsBuild(below!)).toBe(true);
    expect(describeFloorCheck(below!)).toBe('FAIL sink-postgres fair 0.4 < floor 0.5 (20% below)');
  });

  it('checks only the scenarios chosen this run and skips keys starting with an underscore', () => {
    const checks = checkFloors(floors, ['sink-postgres'], { 'sink-postgres': result({ fair: 1 }) }, {});
    expect(checks.map((c) => `${c.scenario} ${c.ratio}`)).toEqual(['sink-postgres fair']);
  });

  it('reports a scenario that cannot run yet without failing the build', () => {
    const [check] = checkFloors(
      floors,
      ['ingest'],
      {},
      { ingest: { message: 'no pipeline', unavailable: true } },
    );
    expect(check?.status).toBe('unavailable');
    expect(failsBuild(check!)).toBe(false);
    expect(describeFloorCheck(check!)).toMatch(/^ERROR ingest oneWorker/);
  });

  it('fails a floored ratio that a broken scenario did not measure', () => {
    const [check] = checkFloors(floors, ['ingest'], {}, { ingest: { message: 'boom', unavailable: false } });
    expect(check?.status).toBe('missing');
    expect(failsBuild(check!)).toBe(true);
  });
});
