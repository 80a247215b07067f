import { describe, expect, it } from 'vitest';
import { adaptResult, unitOf } from './adapt-result.js';

describe('adaptResult', () => {
  it('keeps output already in the common shape', () => {
    const output = { figures: {}, ratios: {}, peakRssMiB: { worker: 100 }, seconds: 3 };
    expect(adaptResult('x', output, 5)).toMatchObject({
      scenario: 'x',
      peakRssMiB: { worker: 100 },
      seconds: 3,
    });
  });

  it('reads spreads as figures, ratio paths as ratios, and throughputs given as plain numbers', () => {
    const result = adaptResult(
      'ucr-eval',
      {
        setup: { roundMs: 100 },
        dataSources: [
          {
            name: 'visits',
            documentsPerSecond: { min: 1, median: 2, max: 3, runs: [1, 2, 3] },
            ratio: { min: 0.4, median: 0.5, max: 0.6 },
          },
        ],
        baseline: { rowsPerSecond: 1000, evalMs: 2 },
        ratios: { compiledToInterpreted: 3.5 },
        count: 7,
      },
      2,
    );
    expect(Object.keys(result.figures).sort()).toEqual([
      'baseline.evalMs',
      'baseline.rowsPerSecond',
      'dataSources.visits.documentsPerSecond',
    ]);
    expect(result.figures['dataSources.visits.documentsPerSecond']).toMatchObject({
      median: 2,
      unit: 'documents/s',
    });
    expect(result.figures['baseline.rowsPerSecond']).toMatchObject({
      median: 1000,
      runs: [1000],
      unit: 'rows/s',
    });
    expect(Object.keys(result.ratios).sort()).toEqual([
      'dataSources.visits.ratio',
      'ratios.compiledToInterpreted',
    ]);
    expect(result.ratios['dataSources.visits.ratio']!.runs).toEqual([0.5]);
  });

  it('takes the CPU per 100,000 records and peak RSS by role, and CPU spreads as figures', () => {
    const result = adaptResult(
      'runtime',
      {
        cpuSecondsPer100k: { 'postgres.bare': 1.5, 'postgres.pipeline': 2.25, broken: 'n/a' },
        peakRssMiB: { scenario: 300 },
        clients: { platformatic: { postgres: { cpuSecondsPer100k: { min: 2, median: 2.25, max: 3 } } } },
      },
      1,
    );
    expect(result.cpuSecondsPer100k).toEqual({ 'postgres.bare': 1.5, 'postgres.pipeline': 2.25 });
    expect(result.peakRssMiB).toEqual({ scenario: 300 });
    expect(result.figures['clients.platformatic.postgres.cpuSecondsPer100k']).toMatchObject({
      median: 2.25,
      unit: 'CPU s/100k',
    });
  });

  it('names units after the key', () => {
    expect([unitOf('a.recordsPerSecond'), unitOf('p95Ms'), unitOf('joinSeconds'), unitOf('count')]).toEqual([
      'records/s',
      'ms',
      's',
      '',
    ]);
  });
});
