import { describe, expect, it } from 'vitest';
import { historyEntry, historyLine, parseHistory } from './history-line.js';
import type { BenchRun } from './scenario-result.js';

const spreadOf = (median: number) => ({ min: median, median, max: median, runs: [median] });

const run: BenchRun = {
  at: '2026-11-29T08:00:00.000Z',
  quick: true,
  machine: { hostname: 'h', os: 'Linux', cpu: 'x', cores: 2, memoryGiB: 8, freeMemoryGiB: 2 },
  node: 'v24.21.0',
  commit: { id: '0123456789abcdef0123456789abcdef01234567', dirty: false },
  chosen: ['sink-postgres', 'ingest'],
  scenarios: {
    'sink-postgres': {
      scenario: 'sink-postgres',
      figures: {
        'sink.rowsPerSecond': { ...spreadOf(20000), unit: 'rows/s' },
        'sink.write.p95Ms': { ...spreadOf(40), unit: 'ms' },
      },
      ratios: { sinkToStagingUpsert: { ...spreadOf(0.9), of: 'sink', to: 'staging' } },
      peakRssMiB: { scenario: 180, other: 90 },
      cpuSecondsPer100k: { scenario: 2.9 },
      seconds: 12,
      details: { large: 'x'.repeat(10_000) },
    },
  },
  errors: { ingest: { message: 'no pipeline file', unavailable: true } },
  floors: [
    {
      scenario: 'sink-postgres',
      ratio: 'sinkToStagingUpsert',
      kind: 'floor',
      floor: 1,
      median: 0.9,
      status: 'below',
    },
  ],
};

describe('historyEntry', () => {
  it('keeps medians of the throughputs and ratios, the largest peak RSS, errors and failed floors', () => {
    expect(historyEntry(run)).toEqual({
      at: '2026-11-29T08:00:00.000Z',
      commit: '0123456789',
      dirty: false,
      quick: true,
      node: 'v24.21.0',
      cores: 2,
      s: {
        'sink-postgres': {
          f: { 'sink.rowsPerSecond': 20000 },
          r: { sinkToStagingUpsert: 0.9 },
          rss: 180,
          cpu: { scenario: 2.9 },
        },
      },
      err: ['ingest'],
      fail: ['sink-postgres sinkToStagingUpsert'],
    });
  });

  it('is one short line, details left out', () => {
    const line = historyLine(run);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd()).not.toContain('\n');
    expect(line.length).toBeLessThan(400);
  });
});

describe('historyEntry with floors', () => {
  const many = {
    ...run,
    scenarios: {
      runtime: {
        scenario: 'runtime',
        figures: Object.fromEntries(
          ['a', 'b', 'c', 'd', 'e'].map((n) => [
            `${n}.recordsPerSecond`,
            { ...spreadOf(1), unit: 'records/s' },
          ]),
        ),
        ratios: Object.fromEntries(
          ['r1', 'r2', 'r3', 'r4', 'r5'].map((n) => [n, { ...spreadOf(1), of: 'x', to: 'y' }]),
        ),
        peakRssMiB: {},
        seconds: 1,
      },
    },
  };

  it('keeps only the floored ratios of a scenario that has floors, and four throughputs', () => {
    const entry = historyEntry(many, { runtime: { r5: 0.5 } });
    expect(Object.keys(entry.s.runtime!.r)).toEqual(['r5']);
    expect(Object.keys(entry.s.runtime!.f)).toHaveLength(4);
  });

  it('keeps a ratio with a ceiling as it keeps a floored one', () => {
    const entry = historyEntry(many, { runtime: { r2: 0.5, 'max r4': 1.5 } });
    expect(Object.keys(entry.s.runtime!.r)).toEqual(['r2', 'r4']);
  });

  it('keeps the first four ratios of a scenario without floors', () => {
    expect(Object.keys(historyEntry(many).s.runtime!.r)).toEqual(['r1', 'r2', 'r3', 'r4']);
  });
});

describe('parseHistory', () => {
  it('reads every line back, skipping a torn one', () => {
    const text = historyLine(run) + '{"at":"2026-11-29T09' + '\n' + historyLine({ ...run, at: 'later' });
    expect(parseHistory(text).map((e) => e.at)).toEqual(['2026-11-29T08:00:00.000Z', 'later']);
  });
});
