/** Plain-text tables for terminal output. */
import type { ProbeResult } from './probe-endpoints.js';

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatProbeTable(results: ProbeResult[]): string {
  return formatTable(
    ['SERVICE', 'STATE', 'ADDRESS', 'DETAIL'],
    results.map((r) => [r.service, r.ok ? 'ok' : 'DOWN', r.address, r.detail]),
  );
}
