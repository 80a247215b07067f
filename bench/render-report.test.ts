import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './history-line.js';
import { renderReport } from './render-report.js';
import type { BenchRun } from './scenario-result.js';

const spreadOf = (min: number, median: number, max: number) => ({
  min,
  median,
  max,
  runs: [min, median, max],
});

const latest: BenchRun = {
  at: '2026-11-29T08:00:00.000Z',
  quick: false,
  machine: { hostname: 'h', os: 'Linux', cpu: 'Test CPU', cores: 2, memoryGiB: 8, freeMemoryGiB: 2 },
  node: 'v24.21.0',
  commit: { id: 'abcdef1234567890', dirty: true },
  chosen: ['sink-postgres', 'ingest'],
  scenarios: {
    'sink-postgres': {
      scenario: 'sink-postgres',
      figures: {
        'sink.rowsPerSecond': { ...spreadOf(9000, 10000, 11000), unit: 'rows/s' },
        'sink.batchP95Ms': { ...spreadOf(41, 41, 41), unit: 'ms' },
      },
      ratios: { sinkToStagingUpsert: { ...spreadOf(0.8, 0.93, 1.1), of: 'sink', to: 'staging' } },
      peakRssMiB: { scenario: 321 },
      cpuSecondsPer100k: { scenario: 2.9 },
      seconds: 20,
    },
  },
  errors: { ingest: { message: 'pipelines/examples/ucr-to-postgres.yaml <missing>', unavailable: true } },
  floors: [
    {
      scenario: 'sink-postgres',
      ratio: 'sinkToStagingUpsert',
      kind: 'floor',
      floor: 0.5,
      median: 0.93,
      status: 'ok',
    },
  ],
};

const entry = (commit: string, ratio: number, rows: number): HistoryEntry => ({
  at: '2026-11-29T08:00:00.000Z',
  commit,
  dirty: false,
  quick: true,
  node: 'v24',
  cores: 2,
  s: {
    'sink-postgres': {
      f: { 'sink.rowsPerSecond': rows },
      r: { sinkToStagingUpsert: ratio },
      rss: 300,
      cpu: { scenario: rows / 4000 },
    },
  },
});

const html = renderReport({
  latest,
  history: [entry('1111111aaa', 0.91, 9876), entry('2222222bbb', 0.87, 12345)],
  floors: { 'sink-postgres': { sinkToStagingUpsert: 0.5 } },
  generatedAt: '2026-11-29T09:00:00.000Z',
});

describe('renderReport', () => {
  it('is one complete HTML document', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
  });

  it('is self-contained: no script, no external resource, inline SVG only', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|href=|url\(|@import|https?:\/\//i);
    const opened = html.match(/<svg\b/g)?.length ?? 0;
    expect(opened).toBeGreaterThanOrEqual(5); // RSS, throughput, latency, ratios and throughput over commits, RSS over commits
    expect(html.match(/<\/svg>/g)?.length).toBe(opened);
  });

  it('draws the history series and the floor, labelled by commit', () => {
    expect(html).toContain('sink-postgres: ratios over commits');
    expect(html).toContain('sink.rowsPerSecond @ 2222222: 12,345<');
    expect(html).toContain('sinkToStagingUpsert @ 1111111: 0.91');
    expect(html).toContain('floor sinkToStagingUpsert');
    expect(html).toContain('Peak RSS over commits');
  });

  it('shows CPU seconds per 100,000 records of the latest run and over commits', () => {
    expect(html).toContain('sink-postgres · scenario: 2.9 CPU s / 100k');
    expect(html).toContain('CPU seconds per 100,000 records over commits');
    expect(html).toContain('sink-postgres · scenario @ 2222222: 3.09');
  });

  it('shows the latest figures with their spread, the latency percentiles, peak RSS, floors and errors', () => {
    expect(html).toContain('sink-postgres: latencies (percentiles, means)');
    expect(html).toContain('sink-postgres · scenario: 321 MiB');
    expect(html).toContain('ok   sink-postgres sinkToStagingUpsert 0.93 ≥ floor 0.5');
    expect(html).toContain('ingest: cannot run yet');
    expect(html).toContain('<td>9,000</td><td><b>10,000</b></td><td>11,000</td>');
  });

  it('escapes text taken from the results', () => {
    expect(html).toContain('ucr-to-postgres.yaml &lt;missing&gt;');
    expect(html).not.toContain('<missing>');
  });

  it('renders with no results and no history', () => {
    const empty = renderReport({ history: [], floors: {}, generatedAt: 'now' });
    expect(empty).toContain('No results file');
    expect(empty).toContain('No runs in bench/results/history.jsonl yet');
  });
});
