/**
 * Small inline SVG charts for the bench report, drawn by hand so the HTML needs no library and no
 * network. Every text is escaped; every point carries a <title> tooltip with its exact value.
 */

export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
export const colour = (i: number): string => palette[i % palette.length]!;

/** A figure as text: 3 significant digits, thousands grouped. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

/** Round tick steps (1, 2, 5 × 10^n) from 0 to at least `max`. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let t = 0; t < max + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export interface LineSeries {
  name: string;
  /** One value per x label; undefined leaves a gap. */
  values: readonly (number | undefined)[];
}

export interface LineChartOptions {
  title: string;
  /** The x axis, e.g. one short commit id per run. */
  labels: readonly string[];
  series: readonly LineSeries[];
  unit?: string;
  /** Horizontal dashed lines, e.g. a ratio's floor. */
  guides?: readonly { name: string; value: number; colourIndex?: number }[];
}

const width = 720;

/** Lines over the x labels, one per series, with a legend under the plot. */
export function lineChart({ title, labels, series, unit = '', guides = [] }: LineChartOptions): string {
  const plot = { left: 64, right: 40, top: 28, height: 200 };
  const plotWidth = width - plot.left - plot.right;
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  const ticks = niceTicks(Math.max(0, ...values, ...guides.map((g) => g.value)));
  const top = ticks.at(-1)!;
  const x = (i: number) =>
    plot.left + (labels.length <= 1 ? plotWidth / 2 : (i / (labels.length - 1)) * plotWidth);
  const y = (v: number) => plot.top + plot.height - (v / top) * plot.height;
  const legendTop = plot.top + plot.height + 40;
  const legendRows = Math.ceil((series.length + guides.length) / 2);
  const height = legendTop + legendRows * 18 + 8;
  const parts: string[] = [
    `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<text x="${plot.left}" y="16" class="title">${escapeHtml(title)}${unit ? ` (${escapeHtml(unit)})` : ''}</text>`,
  ];
  for (const tick of ticks) {
    parts.push(
      `<line x1="${plot.left}" x2="${width - plot.right}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/>`,
      `<text x="${plot.left - 6}" y="${y(tick) + 4}" text-anchor="end" class="tick">${formatNumber(tick)}</text>`,
    );
  }
  const labelEvery = Math.max(1, Math.ceil(labels.length / 10));
  labels.forEach((label, i) => {
    // Counted from the newest run, so it always has its label and labels never crowd.
    if ((labels.length - 1 - i) % labelEvery === 0)
      parts.push(
        `<text x="${x(i)}" y="${plot.top + plot.height + 16}" text-anchor="middle" class="tick">${escapeHtml(label)}</text>`,
      );
  });
  guides.forEach((guide, i) => {
    const c = colour(guide.colourIndex ?? i);
    parts.push(
      `<line x1="${plot.left}" x2="${width - plot.right}" y1="${y(guide.value)}" y2="${y(guide.value)}" stroke="${c}" stroke-dasharray="6 4" class="guide"><title>${escapeHtml(`${guide.name}: ${guide.value}`)}</title></line>`,
    );
  });
  series.forEach((s, si) => {
    const c = colour(si);
    // A gap (undefined) ends one path and starts the next.
    let d = '';
    let pen = 'M';
    s.values.forEach((v, i) => {
      if (v === undefined) {
        pen = 'M';
        return;
      }
      d += `${pen}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      pen = 'L';
    });
    if (d) parts.push(`<path d="${d.trim()}" fill="none" stroke="${c}" stroke-width="2"/>`);
    s.values.forEach((v, i) => {
      if (v !== undefined)
        parts.push(
          `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${c}"><title>${escapeHtml(`${s.name} @ ${labels[i] ?? i}: ${formatNumber(v)} ${unit}`.trim())}</title></circle>`,
        );
    });
  });
  const legend = [
    ...series.map((s, i) => ({ name: s.name, c: colour(i), dashed: false })),
    ...guides.map((g, i) => ({ name: g.name, c: colour(g.colourIndex ?? i), dashed: true })),
  ];
  legend.forEach((item, i) => {
    const lx = plot.left + (i % 2) * (plotWidth / 2);
    const ly = legendTop + Math.floor(i / 2) * 18;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${item.c}" stroke-width="2"${item.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 24}" y="${ly}" class="legend">${escapeHtml(item.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** `text` cut to `max` characters from the left (`…` marks the cut): the end of a figure name says most. */
export const shortenLeft = (text: string, max: number): string =>
  text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;

export interface Bar {
  label: string;
  value: number;
  /** Whiskers: the spread over the repeats. */
  min?: number;
  max?: number;
}

/** Horizontal bars with min–max whiskers, labels on the left, values on the right. */
export function barChart({
  title,
  bars,
  unit = '',
}: {
  title: string;
  bars: readonly Bar[];
  unit?: string;
}): string {
  const plot = { left: 280, right: 90, top: 28, row: 22 };
  const plotWidth = width - plot.left - plot.right;
  const top = niceTicks(Math.max(0, ...bars.map((b) => Math.max(b.value, b.max ?? 0)))).at(-1)!;
  const x = (v: number) => plot.left + (v / top) * plotWidth;
  const height = plot.top + bars.length * plot.row + 8;
  const parts: string[] = [
    `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<text x="8" y="16" class="title">${escapeHtml(title)}${unit ? ` (${escapeHtml(unit)})` : ''}</text>`,
  ];
  bars.forEach((bar, i) => {
    const yTop = plot.top + i * plot.row;
    const mid = yTop + plot.row / 2;
    const spreadText =
      bar.min !== undefined && bar.max !== undefined && bar.min !== bar.max
        ? ` (${formatNumber(bar.min)}–${formatNumber(bar.max)})`
        : '';
    parts.push(
      `<text x="${plot.left - 6}" y="${mid + 4}" text-anchor="end" class="tick">${escapeHtml(shortenLeft(bar.label, 46))}</text>`,
      `<rect x="${plot.left}" y="${yTop + 4}" width="${Math.max(0, x(bar.value) - plot.left).toFixed(1)}" height="${plot.row - 8}" fill="${colour(i)}" opacity="0.8"><title>${escapeHtml(`${bar.label}: ${formatNumber(bar.value)} ${unit}${spreadText}`.trim())}</title></rect>`,
    );
    if (bar.min !== undefined && bar.max !== undefined && bar.min !== bar.max)
      parts.push(
        `<line x1="${x(bar.min).toFixed(1)}" x2="${x(bar.max).toFixed(1)}" y1="${mid}" y2="${mid}" class="whisker"/>`,
      );
    parts.push(
      `<text x="${x(Math.max(bar.value, bar.max ?? 0)) + 6}" y="${mid + 4}" class="tick">${formatNumber(bar.value)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
