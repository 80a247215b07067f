/**
 * Chart data for `configured_charts` (`reports/specs.py` chart specs), computed from the report rows
 * returned, after transforms. The JSON shape (documented in the README):
 * - pie: `{type, chart_id, title, aggregation_column, value_column, data: [{label, value}]}`
 * - multibar: `{type, chart_id, title, x_axis_column, is_stacked, series: [{column_id, display,
 *   values: [{x, y}]}]}`
 * - multibar-aggregate: `{type, chart_id, title, primary_aggregation, secondary_aggregation,
 *   value_column, series: [{key, values: [{x, y}]}]}`
 */
import { localizeText } from '../ucr/transforms/localize.js';
import type { ReportChartSpec } from './report-config.js';
import { valueText } from './value-text.js';

export type ReportChart = Readonly<Record<string, unknown>>;
type Row = Readonly<Record<string, unknown>>;

const numberOf = (value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
};

/** Sums `value` per key in first-seen order. */
function sumBy(rows: readonly Row[], key: (row: Row) => string, value: (row: Row) => unknown) {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(key(row), (sums.get(key(row)) ?? 0) + numberOf(value(row)));
  return sums;
}

/** The chart's data from the report rows. */
export function chartData(
  spec: ReportChartSpec,
  index: number,
  rows: readonly Row[],
  lang: string,
): ReportChart {
  const head = { type: spec.type, chart_id: spec.chart_id ?? `chart-${index}`, title: spec.title ?? '' };
  switch (spec.type) {
    case 'pie': {
      const label = spec.aggregation_column;
      const sums = sumBy(
        rows,
        (row) => (label === undefined ? '' : valueText(row[label])),
        (row) => row[spec.value_column],
      );
      return {
        ...head,
        aggregation_column: label ?? null,
        value_column: spec.value_column,
        data: [...sums].map(([key, value]) => ({ label: key, value })),
      };
    }
    case 'multibar':
      return {
        ...head,
        x_axis_column: spec.x_axis_column,
        is_stacked: spec.is_stacked,
        series: spec.y_axis_columns.map((y) => ({
          column_id: y.column_id,
          display: localizeText(y.display, lang, y.column_id),
          values: rows.map((row) => ({ x: row[spec.x_axis_column] ?? null, y: numberOf(row[y.column_id]) })),
        })),
      };
    case 'multibar-aggregate': {
      const keys = [...new Set(rows.map((row) => valueText(row[spec.secondary_aggregation])))];
      const xs = [...new Set(rows.map((row) => valueText(row[spec.primary_aggregation])))];
      return {
        ...head,
        primary_aggregation: spec.primary_aggregation,
        secondary_aggregation: spec.secondary_aggregation,
        value_column: spec.value_column,
        series: keys.map((key) => {
          const mine = rows.filter((row) => valueText(row[spec.secondary_aggregation]) === key);
          const sums = sumBy(
            mine,
            (row) => valueText(row[spec.primary_aggregation]),
            (row) => row[spec.value_column],
          );
          return { key, values: xs.map((x) => ({ x, y: sums.get(x) ?? 0 })) };
        }),
      };
    }
  }
}
