import type { BenchRun, Figure } from './scenario-result.js';
import { headlineFigures } from './history-line.js';

const show = (s: { min: number; median: number; max: number }) =>
  s.min === s.max ? `${s.median}` : `${s.median} (${s.min}–${s.max})`;

/** The run as a few readable lines: each scenario's headline figures, its ratios, peak RSS and CPU per record. */
export function summaryTable(run: BenchRun): string {
  const lines = ['', `summary, median (min–max)${run.quick ? ', quick' : ''}:`];
  for (const [name, result] of Object.entries(run.scenarios)) {
    const rss = Object.entries(result.peakRssMiB)
      .map(([role, value]) => `${role} ${value} MiB`)
      .join(', ');
    const cpu = Object.entries(result.cpuSecondsPer100k ?? {})
      .map(([role, value]) => `${role} ${value} s`)
      .join(', ');
    lines.push(
      `  ${name} (${result.seconds} s${rss ? `; peak RSS ${rss}` : ''}${cpu ? `; CPU per 100k records ${cpu}` : ''})`,
    );
    for (const figure of headlineFigures(result)) {
      const f: Figure = result.figures[figure]!;
      lines.push(`    ${figure.padEnd(48)} ${show(f)} ${f.unit}`);
    }
    for (const [ratio, value] of Object.entries(result.ratios))
      lines.push(`    ratio ${ratio.padEnd(42)} ${show(value)}`);
  }
  return lines.join('\n');
}
