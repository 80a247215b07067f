/**
 * Turns the query's rows into the report: values by report column id, transforms (with lookups),
 * percent formats, percent of total, location formatting, expression columns, totals and charts.
 */
import { EvalContext } from '../ucr/compile/eval-context.js';
import { localizeText } from '../ucr/transforms/localize.js';
import type { TransformContext } from '../ucr/transforms/compile-transform.js';
import { strftime } from '../ucr/transforms/strftime.js';
import { formatPercent } from './format-percent.js';
import { chartData, type ReportChart } from './report-charts.js';
import type { ResolvedColumn } from './report-columns.js';
import type { ReportChartSpec } from './report-config.js';
import type { Items } from './report-items.js';
import { formatGeoPoint, toNumber, toReportJson, toUcrValue } from './report-values.js';

/** Documents transforms look up (users, groups, locations): undefined when not loaded yet. */
export interface ReportLookups {
  get(kind: string, id: string): unknown;
}

/** One column of the report output. */
export interface ReportOutputColumn {
  readonly id: string;
  readonly display: string;
  /** The report column type it comes from (field, percent, expanded…). */
  readonly type: ResolvedColumn['type'];
}

/** The report body, before the HTTP layer adds report_id and title. */
export interface ReportOutput {
  readonly columns: readonly ReportOutputColumn[];
  /** One object per row, keyed by output column id. */
  readonly rows: readonly Record<string, unknown>[];
  /** Aligned with `columns`; null when no column asks for `calculate_total`. */
  readonly total_row: readonly unknown[] | null;
  /** Rows of the whole report (all pages) for this request's filters. */
  readonly total_records: number;
  /** One entry per configured chart, computed from `rows` (see report-charts.ts). */
  readonly charts: readonly ReportChart[];
}

type SqlRow = Readonly<Record<string, unknown>>;

export interface RowShaping {
  readonly resolved: readonly ResolvedColumn[];
  readonly items: Items;
  readonly expandedValues: ReadonlyMap<string, readonly string[]>;
  readonly charts: readonly ReportChartSpec[];
  readonly lang: string;
}

const noRowLookups = { get: () => null };

/** Values by report column id (and percent numerator/denominator ids), as expression columns see them. */
function rowData(shape: RowShaping, row: SqlRow): Record<string, unknown> {
  const numeric = new Set(shape.items.items.filter((item) => item.numeric).map((item) => item.alias));
  const value = (alias: string) => (numeric.has(alias) ? toNumber(row[alias]) : (row[alias] ?? null));
  const data: Record<string, unknown> = {};
  for (const column of shape.resolved) {
    const aliases = shape.items.aliasesOf.get(column.id) ?? [];
    switch (column.type) {
      case 'field':
      case 'integer_buckets':
      case 'sum_when':
      case 'location':
        data[column.id] = value(aliases[0]!);
        break;
      case 'percent':
        data[column.numerator.id] = value(aliases[0]!);
        data[column.denominator.id] = value(aliases[1]!);
        break;
      case 'aggregate_date': {
        const [year, month] = [value(aliases[0]!), value(aliases[1]!)];
        data[column.id] =
          typeof year === 'number' && typeof month === 'number' && year && month
            ? strftime({ year, month, day: 1 }, column.format)
            : 'Unknown Date';
        break;
      }
      case 'expanded':
        (shape.expandedValues.get(column.id) ?? []).forEach((expansion, index) => {
          data[`${column.id}-${expansion}`] = value(aliases[index]!);
        });
        break;
      case 'expression': {
        const ctx = new EvalContext(data, noRowLookups);
        data[column.id] = toReportJson(column.expression(data, ctx));
        break;
      }
    }
  }
  return data;
}

/** CommCare's `'{:.0%}'.format(value / total)`; the value unchanged when the total is 0. */
function percentOfTotal(value: unknown, total: number): unknown {
  return total === 0 ? value : `${Math.round((Number(value) / total) * 100)}%`;
}

function shapeRow(
  shape: RowShaping,
  data: Record<string, unknown>,
  pageTotals: ReadonlyMap<string, number>,
  ctx: TransformContext,
  row: SqlRow,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of shape.resolved) {
    if (!column.visible) continue;
    switch (column.type) {
      case 'percent':
        out[column.id] = formatPercent(data[column.numerator.id], data[column.denominator.id], column.format);
        break;
      case 'expanded':
        for (const expansion of shape.expandedValues.get(column.id) ?? [])
          out[`${column.id}-${expansion}`] = data[`${column.id}-${expansion}`];
        break;
      case 'field': {
        let cell = data[column.id];
        if (column.percentOfTotal) cell = percentOfTotal(cell, pageTotals.get(column.id) ?? 0);
        // A transform sees the value as CommCare's query gives it (a decimal stays exact).
        const raw = column.percentOfTotal ? cell : (row[shape.items.aliasesOf.get(column.id)![0]!] ?? null);
        const input =
          column.aggregation === 'simple' || column.aggregation === 'min' || column.aggregation === 'max'
            ? toUcrValue(raw, column.source.datatype)
            : raw;
        out[column.id] = column.transform ? toReportJson(column.transform(input, ctx)) : cell;
        break;
      }
      case 'location': {
        const cell = formatGeoPoint(data[column.id]);
        out[column.id] = column.transform ? toReportJson(column.transform(cell, ctx)) : cell;
        break;
      }
      default:
        out[column.id] = data[column.id];
    }
  }
  return out;
}

/** The output columns (expanded columns give one per value), hidden ones left out. */
export function outputColumns(shape: RowShaping): ReportOutputColumn[] {
  return shape.resolved
    .filter((column) => column.visible)
    .flatMap((column): ReportOutputColumn[] => {
      const display = localizeText(column.display, shape.lang, column.id);
      if (column.type === 'expanded') {
        return (shape.expandedValues.get(column.id) ?? []).map((value) => ({
          id: `${column.id}-${value}`,
          display: `${display}-${value}`,
          type: column.type,
        }));
      }
      return [{ id: column.id, display, type: column.type }];
    });
}

function totalRow(shape: RowShaping, summary: SqlRow): unknown[] | null {
  const visible = shape.resolved.filter((column) => column.visible);
  if (!visible.some((column) => column.total)) return null;
  const total = (alias: string) => toNumber(summary[`t_${alias}`]);
  const row = visible.flatMap((column): unknown[] => {
    const aliases = shape.items.aliasesOf.get(column.id) ?? [];
    if (column.type === 'expanded') return aliases.map((alias) => (column.total ? total(alias) : null));
    if (!column.total) return [null];
    if (column.type === 'percent')
      return [formatPercent(total(aliases[0]!), total(aliases[1]!), column.format)];
    return [total(aliases[0]!)];
  });
  if (row[0] === null) row[0] = 'Total';
  return row;
}

/** The lookups the rows' transforms need (kind and id), to fetch before `finishRows`. */
export function rowLookupKeys(shape: RowShaping, rows: readonly SqlRow[]): { kind: string; id: string }[] {
  const keys = new Map<string, { kind: string; id: string }>();
  const ctx: TransformContext = {
    lang: shape.lang,
    lookup: (kind, id) => {
      keys.set(`${kind}\u0000${id}`, { kind, id });
      return null;
    },
  };
  if (!shape.resolved.some((column) => 'transform' in column && column.transform)) return [];
  for (const row of rows) shapeRow(shape, rowData(shape, row), new Map(), ctx, row);
  return [...keys.values()];
}

/** The report output for the page's rows and the summary row (count and totals). */
export function finishRows(
  shape: RowShaping,
  rows: readonly SqlRow[],
  summary: SqlRow,
  lookups: ReportLookups = noRowLookups,
): ReportOutput {
  const datas = rows.map((row) => rowData(shape, row));
  const pageTotals = new Map<string, number>();
  for (const column of shape.resolved) {
    if (column.type === 'field' && column.percentOfTotal)
      pageTotals.set(
        column.id,
        datas.reduce((sum, data) => sum + (Number(data[column.id]) || 0), 0),
      );
  }
  const ctx: TransformContext = { lang: shape.lang, lookup: (kind, id) => lookups.get(kind, id) ?? null };
  const out = datas.map((data, index) => shapeRow(shape, data, pageTotals, ctx, rows[index]!));
  return {
    columns: outputColumns(shape),
    rows: out,
    total_row: totalRow(shape, summary),
    total_records: Number(toNumber(summary.total_records) ?? 0),
    charts: shape.charts.map((chart, index) => chartData(chart, index, out, shape.lang)),
  };
}
