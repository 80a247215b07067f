import { describe, expect, it } from 'vitest';
import { barChart, formatNumber, lineChart, niceTicks, shortenLeft } from './svg-charts.js';

describe('svg charts', () => {
  it('labels the newest run and every few before it, never two crowded at the end', () => {
    const labels = Array.from({ length: 14 }, (_, i) => `c${i}`);
    const svg = lineChart({ title: 't', labels, series: [{ name: 's', values: labels.map(() => 1) }] });
    const shown = [...svg.matchAll(/class="tick">(c\d+)</g)].map((m) => m[1]);
    expect(shown).toEqual(['c1', 'c3', 'c5', 'c7', 'c9', 'c11', 'c13']);
  });

  it('shortens long bar labels from the left', () => {
    expect(shortenLeft('clients.platformatic.noopJson.pipeline.commitMeanMs', 20)).toBe(
      '…peline.commitMeanMs',
    );
  });

  it('picks round ticks from zero past the maximum', () => {
    expect(niceTicks(87)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(1.2)).toEqual([0, 0.5, 1, 1.5]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('formats figures to three significant digits, thousands grouped', () => {
    expect([formatNumber(12345.6), formatNumber(0.12345), formatNumber(42)]).toEqual([
      '12,346',
      '0.123',
      '42',
    ]);
  });

  it('breaks a line at a missing value instead of joining across it', () => {
    const svg = lineChart({
      title: 't',
      labels: ['a', 'b', 'c'],
      series: [{ name: 's', values: [1, undefined, 2] }],
    });
    const path = /<path d="([^"]+)"/.exec(svg)![1]!;
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path).not.toContain('L');
    expect(svg.match(/<circle/g)).toHaveLength(2);
  });

  it('draws one bar per figure with a whisker only where the repeats differ', () => {
    const svg = barChart({
      title: 'b',
      bars: [
        { label: 'x', value: 5, min: 4, max: 6 },
        { label: 'y', value: 3, min: 3, max: 3 },
      ],
    });
    expect(svg.match(/<rect/g)).toHaveLength(2);
    expect(svg.match(/class="whisker"/g)).toHaveLength(1);
  });
});
