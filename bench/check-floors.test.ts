import { describe, expect, it } from 'vitest';
import {
  checkFloors,
  describeFloorCheck,
  failsBuild,
  needsConfirmation,
  parseFloorKey,
} from './check-floors.js';
import type { ScenarioResult } from './scenario-result.js';

const result = (
  ratios: Record<string, number>,
  peakRssMiB: Record<string, number> = {},
  cpuSecondsPer100k: Record<string, number> = {},
): ScenarioResult => ({
  scenario: 'sink-postgres',
  figures: {},
  ratios: Object.fromEntries(
    Object.entries(ratios).map(([name, median]) => [
      name,
      { min: median, median, max: median, runs: [median], of: 'a', to: 'b' },
    ]),
  ),
  peakRssMiB,
  cpuSecondsPer100k,
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

  it('fails a ratio above its ceiling, and a peak RSS or CPU per record above theirs', () => {
    const ceilings = { ingest: { 'max cpuToBare': 1.25, 'max rss worker': 300, 'max cpu worker': 2 } };
    const checks = checkFloors(
      ceilings,
      ['ingest'],
      { ingest: result({ cpuToBare: 1.5 }, { worker: 280 }, { worker: 2.5 }) },
      {},
    );
    expect(checks.map((c) => [c.ratio, c.kind, c.status])).toEqual([
      ['cpuToBare', 'ceiling', 'above'],
      ['rss worker', 'ceiling', 'ok'],
      ['cpu worker', 'ceiling', 'above'],
    ]);
    expect(describeFloorCheck(checks[0]!)).toBe('FAIL ingest cpuToBare 1.5 > ceiling 1.25 (20% above)');
    expect(checks.filter(failsBuild)).toHaveLength(2);
  });

  it('asks for a second run of a failed scenario and fails only when the second run confirms it', () => {
    const chosen = ['sink-postgres'];
    const first = { 'sink-postgres': result({ fair: 0.4 }) };
    const [suspect] = checkFloors(floors, chosen, first, {});
    expect(needsConfirmation(suspect!)).toBe(true);
    const [noise] = checkFloors(floors, chosen, first, {}, { 'sink-postgres': result({ fair: 0.6 }) });
    expect(noise).toMatchObject({ status: 'unconfirmed', median: 0.4, confirmation: 0.6 });
    expect(failsBuild(noise!)).toBe(false);
    const [confirmed] = checkFloors(floors, chosen, first, {}, { 'sink-postgres': result({ fair: 0.45 }) });
    expect(confirmed).toMatchObject({ status: 'below', confirmation: 0.45 });
    expect(failsBuild(confirmed!)).toBe(true);
    expect(describeFloorCheck(confirmed!)).toBe(
      'FAIL sink-postgres fair 0.4 < floor 0.5 (20% below; 0.45 when run again)',
    );
  });

  it('reads floors, ratio ceilings, RSS and CPU ceilings from the keys', () => {
    expect(parseFloorKey('oneWorkerToBare')).toEqual({
      kind: 'floor',
      what: 'ratio',
      name: 'oneWorkerToBare',
    });
    expect(parseFloorKey('max cpuToBare')).toEqual({ kind: 'ceiling', what: 'ratio', name: 'cpuToBare' });
    expect(parseFloorKey('max rss pipeline1.worker')).toEqual({
      kind: 'ceiling',
      what: 'rss',
      name: 'pipeline1.worker',
    });
    expect(parseFloorKey('max cpu bare')).toEqual({ kind: 'ceiling', what: 'cpu', name: 'bare' });
  });
});
