import { describeFloorCheck, type Floors } from './check-floors.js';
import type { HistoryEntry } from './history-line.js';
import { headlineFigures } from './history-line.js';
import type { BenchRun, Figure } from './scenario-result.js';
import { barChart, escapeHtml, formatNumber, lineChart, type LineSeries } from './svg-charts.js';

export interface ReportInput {
  /** The newest results file; absent when there is only history. */
  latest?: BenchRun;
  /** history.jsonl, oldest first. */
  history: readonly HistoryEntry[];
  floors: Floors;
  /** When the report was made (shown in the header). */
  generatedAt: string;
}

const style = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0 16px; } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
td:first-child, th:first-child { text-align: left; } .ok { color: #2a7d2a; } .fail { color: #c62828; font-weight: 600; }
.error { color: #c62828; } pre { white-space: pre-wrap; background: #f6f6f6; padding: 8px; font-size: 12px; }
svg.chart { display: block; margin: 8px 0 16px; max-width: 100%; height: auto; }
svg .title { font-weight: 600; font-size: 13px; } svg .tick, svg .legend { font-size: 11px; fill: #444; }
svg .grid { stroke: #eee; } svg .whisker { stroke: #222; stroke-width: 1.5; } .muted { color: #777; }
`;

/** Short label of a history run on the x axis: the commit (with * when dirty), else the date. */
export const runLabel = (entry: HistoryEntry): string =>
  entry.commit ? `${entry.commit.slice(0, 7)}${entry.dirty ? '*' : ''}` : entry.at.slice(5, 16);

const spreadCell = (f: { min: number; median: number; max: number }) =>
  `<td>${formatNumber(f.min)}</td><td><b>${formatNumber(f.median)}</b></td><td>${formatNumber(f.max)}</td>`;

function latestSection(run: BenchRun): string {
  const parts: string[] = [
    `<h2>Latest run</h2>`,
    `<p>${escapeHtml(run.at)} · commit <code>${escapeHtml(run.commit?.id.slice(0, 10) ?? 'unknown')}</code>${run.commit?.dirty ? ' (dirty tree)' : ''} · Node ${escapeHtml(run.node)} · ${escapeHtml(run.machine.cpu)}, ${run.machine.cores} cores, ${run.machine.memoryGiB} GiB${run.quick ? ' · <b>quick</b>' : ''}</p>`,
  ];
  if (run.floors.length) {
    parts.push('<h3>Floors</h3><ul>');
    for (const check of run.floors) {
      const cls = check.status === 'ok' ? 'ok' : check.status === 'unavailable' ? 'error' : 'fail';
      parts.push(`<li class="${cls}">${escapeHtml(describeFloorCheck(check))}</li>`);
    }
    parts.push('</ul>');
  }
  for (const [name, error] of Object.entries(run.errors))
    parts.push(
      `<h3 class="error">${escapeHtml(name)}: ${error.unavailable ? 'cannot run yet' : 'error'}</h3><pre>${escapeHtml(error.message)}</pre>`,
    );

  const rssBars = Object.entries(run.scenarios).flatMap(([name, result]) =>
    Object.entries(result.peakRssMiB).map(([role, value]) => ({ label: `${name} · ${role}`, value })),
  );
  if (rssBars.length)
    parts.push(barChart({ title: 'Peak RSS of the measured processes', bars: rssBars, unit: 'MiB' }));
  const cpuBars = Object.entries(run.scenarios).flatMap(([name, result]) =>
    Object.entries(result.cpuSecondsPer100k ?? {}).map(([role, value]) => ({
      label: `${name} · ${role}`,
      value,
    })),
  );
  if (cpuBars.length)
    parts.push(
      barChart({
        title: 'CPU seconds (user + system) per 100,000 records of the measured processes',
        bars: cpuBars,
        unit: 'CPU s / 100k',
      }),
    );

  for (const [name, result] of Object.entries(run.scenarios)) {
    parts.push(`<h3>${escapeHtml(name)} <span class="muted">(${result.seconds} s)</span></h3>`);
    const throughputs = headlineFigures(result);
    if (throughputs.length)
      parts.push(
        barChart({
          title: `${name}: throughput, median with min–max`,
          bars: throughputs.map((f) => ({ label: f, ...barOf(result.figures[f]!) })),
          unit: unitsOf(throughputs.map((f) => result.figures[f]!)),
        }),
      );
    const latencies = Object.entries(result.figures).filter(([, f]) => f.unit === 'ms');
    if (latencies.length)
      parts.push(
        barChart({
          title: `${name}: latencies (percentiles, means)`,
          bars: latencies.map(([label, f]) => ({ label, ...barOf(f) })),
          unit: 'ms',
        }),
      );
    const ratios = Object.entries(result.ratios);
    if (ratios.length) {
      parts.push(
        '<table><tr><th>ratio</th><th>min</th><th>median</th><th>max</th><th>floor / ceiling</th><th>of / to</th></tr>',
      );
      for (const [ratio, value] of ratios) {
        const floor = run.floors.find((c) => c.scenario === name && c.ratio === ratio);
        const cls = floor ? (floor.status === 'ok' || floor.status === 'unconfirmed' ? 'ok' : 'fail') : '';
        const limit = floor ? `${floor.kind === 'floor' ? '≥' : '≤'} ${floor.floor}` : '';
        parts.push(
          `<tr class="${cls}"><td>${escapeHtml(ratio)}</td>${spreadCell(value)}<td>${limit}</td><td>${escapeHtml(`${value.of} / ${value.to}`)}</td></tr>`,
        );
      }
      parts.push('</table>');
    }
    parts.push(
      '<table><tr><th>figure</th><th>min</th><th>median</th><th>max</th><th>unit</th><th>repeats</th></tr>',
    );
    for (const [figure, value] of Object.entries(result.figures))
      parts.push(
        `<tr><td>${escapeHtml(figure)}</td>${spreadCell(value)}<td>${escapeHtml(value.unit)}</td><td>${value.runs.length}</td></tr>`,
      );
    parts.push('</table>');
  }
  return parts.join('\n');
}

const barOf = (f: Figure) => ({ value: f.median, min: f.min, max: f.max });
const unitsOf = (figures: Figure[]) => [...new Set(figures.map((f) => f.unit))].join(', ');

/** Every name of `pick` over the history, in first-seen order. */
function namesOver(history: readonly HistoryEntry[], pick: (entry: HistoryEntry) => string[]): string[] {
  return [...new Set(history.flatMap(pick))];
}

function historySection(history: readonly HistoryEntry[], floors: Floors): string {
  if (!history.length)
    return '<h2>History</h2><p class="muted">No runs in bench/results/history.jsonl yet.</p>';
  const labels = history.map(runLabel);
  const parts: string[] = [
    '<h2>History</h2>',
    `<p class="muted">${history.length} runs from bench/results/history.jsonl, oldest first; x axis: commit (* = dirty tree). Quick and full runs are mixed: compare ratios, not absolute figures, across them.</p>`,
  ];
  const scenarioNames = namesOver(history, (e) => Object.keys(e.s));
  for (const scenario of scenarioNames) {
    parts.push(`<h3>${escapeHtml(scenario)}</h3>`);
    const ratioNames = namesOver(history, (e) => Object.keys(e.s[scenario]?.r ?? {}));
    if (ratioNames.length) {
      const series: LineSeries[] = ratioNames.map((ratio) => ({
        name: ratio,
        values: history.map((e) => e.s[scenario]?.r[ratio]),
      }));
      const guides = ratioNames.flatMap((ratio, i) => {
        const floor = floors[scenario]?.[ratio];
        const ceiling = floors[scenario]?.[`max ${ratio}`];
        return [
          ...(floor === undefined ? [] : [{ name: `floor ${ratio}`, value: floor, colourIndex: i }]),
          ...(ceiling === undefined ? [] : [{ name: `ceiling ${ratio}`, value: ceiling, colourIndex: i }]),
        ];
      });
      parts.push(lineChart({ title: `${scenario}: ratios over commits`, labels, series, guides }));
    }
    const figureNames = namesOver(history, (e) => Object.keys(e.s[scenario]?.f ?? {}));
    if (figureNames.length)
      parts.push(
        lineChart({
          title: `${scenario}: throughput over commits`,
          labels,
          series: figureNames.map((figure) => ({
            name: figure,
            values: history.map((e) => e.s[scenario]?.f[figure]),
          })),
        }),
      );
  }
  const cpu = scenarioNames.flatMap((scenario) =>
    namesOver(history, (e) => Object.keys(e.s[scenario]?.cpu ?? {})).map((role) => ({
      name: `${scenario} · ${role}`,
      values: history.map((e) => e.s[scenario]?.cpu?.[role]),
    })),
  );
  if (cpu.length)
    parts.push(
      lineChart({
        title: 'CPU seconds per 100,000 records over commits',
        labels,
        series: cpu,
        unit: 'CPU s / 100k',
      }),
    );
  const rss = scenarioNames.map((scenario) => ({
    name: scenario,
    values: history.map((e) => e.s[scenario]?.rss),
  }));
  if (rss.some((s) => s.values.some((v) => v !== undefined)))
    parts.push(lineChart({ title: 'Peak RSS over commits', labels, series: rss, unit: 'MiB' }));
  return parts.join('\n');
}

/**
 * The bench report: one self-contained HTML page (inline CSS and SVG, no script, no external
 * resource), with the latest run's figures, ratios, floors, latency percentiles and peak RSS, and
 * the history's ratios, throughputs and RSS over commits.
 */
export function renderReport({ latest, history, floors, generatedAt }: ReportInput): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Tributary benchmarks</title>',
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    '<h1>Tributary benchmarks</h1>',
    `<p class="muted">Generated ${escapeHtml(generatedAt)} by <code>npm run bench:report</code>. Ratios compare against a baseline measured in the same run on the same data; floors and ceilings (bench/floors.json) apply to ratio medians, peak RSS and CPU per 100,000 records; a miss fails only when a second run of the scenario confirms it.</p>`,
    latest
      ? latestSection(latest)
      : '<p class="muted">No results file in bench/results/ yet: run <code>npm run bench</code>.</p>',
    historySection(history, floors),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
