/**
 * CommCare's export configurations, unchanged: `FormExportInstance` and `CaseExportInstance` JSON
 * (corehq/apps/export/models/new.py): tables of columns, each column an item (a path into the
 * document) with its label, selection, transform and de-identification. Parsing refuses what
 * cannot be exported faithfully, naming the JSON path; fields CommCare keeps for its UI are kept
 * and ignored.
 */
import { z } from 'zod';
import { ExportConfigError } from './export-config-error.js';

const pathNode = z
  .object({
    name: z.string().min(1, 'a path node needs a name'),
    is_repeat: z.boolean().default(false),
    doc_type: z.literal('PathNode').optional(),
  })
  .loose();

/** CommCare's TRANSFORM_FUNCTIONS: lookups done in batches by the export task. */
export const exportTransforms = ['username_transform', 'owner_id_transform', 'case_name_transform'] as const;
/** CommCare's DEID_TRANSFORM_FUNCTIONS. */
export const deidTransforms = ['deid_id', 'deid_date'] as const;

const itemTypes = [
  'ExportItem',
  'ScalarItem',
  'LabelItem',
  'MultipleChoiceItem',
  'GeopointItem',
  'CaseIndexItem',
  'MultiMediaItem',
] as const;

const exportItem = z
  .object({
    doc_type: z.enum(itemTypes).default('ExportItem'),
    path: z.array(pathNode),
    label: z.string().nullish(),
    transform: z.enum(exportTransforms).nullish(),
    options: z.array(z.object({ value: z.string() }).loose()).default([]),
  })
  .loose();

/** Column types whose values Tributary computes as CommCare does; stock columns need the ledgers it does not keep. */
const columnTypes = [
  'ExportColumn',
  'SplitExportColumn',
  'RowNumberColumn',
  'CaseIndexExportColumn',
  'SplitGPSExportColumn',
  'MultiMediaExportColumn',
] as const;

const exportColumn = z
  .object({
    doc_type: z.enum(columnTypes).default('ExportColumn'),
    label: z.string(),
    selected: z.boolean().default(false),
    item: exportItem,
    deid_transform: z.enum(deidTransforms).nullish(),
    /** RowNumberColumn: how many repeat levels the table is nested in. */
    repeat: z.number().int().min(0).default(0),
    ignore_unspecified_options: z.boolean().default(false),
  })
  .loose();

const tableConfiguration = z
  .object({
    doc_type: z.literal('TableConfiguration').optional(),
    label: z.string().min(1, 'a table needs a label (its sheet name)'),
    path: z.array(pathNode).default([]),
    columns: z.array(exportColumn),
    selected: z.boolean().default(false),
  })
  .loose();

const datePeriod = z
  .object({
    period_type: z.enum(['since', 'range', 'last', 'all']),
    days: z.number().int().positive().nullish(),
    begin: z.iso.date().nullish(),
    end: z.iso.date().nullish(),
  })
  .loose();

const instanceFilters = z
  .object({
    date_period: datePeriod.nullish(),
    users: z.array(z.string()).default([]),
    reporting_groups: z.array(z.string()).default([]),
    locations: z.array(z.string()).default([]),
    sharing_groups: z.array(z.string()).default([]),
  })
  .loose();

const common = {
  _id: z.string().min(1, 'an export needs an _id'),
  domain: z.string().min(1),
  name: z.string().min(1),
  tables: z.array(tableConfiguration).min(1, 'an export needs at least one table'),
  export_format: z.enum(['xlsx', 'csv', 'json']).default('xlsx'),
  split_multiselects: z.boolean().default(false),
  transform_dates: z.boolean().default(true),
  is_deidentified: z.boolean().default(false),
  is_daily_saved_export: z.boolean().default(false),
  auto_rebuild_enabled: z.boolean().default(true),
  include_errors: z.boolean().default(false),
  app_id: z.string().nullish(),
  description: z.string().default(''),
  filters: instanceFilters.nullish(),
};

const caseExportInstance = z
  .object({ doc_type: z.literal('CaseExportInstance'), case_type: z.string().min(1), ...common })
  .loose();
const formExportInstance = z
  .object({ doc_type: z.literal('FormExportInstance'), xmlns: z.string().min(1), ...common })
  .loose();

const exportInstance = z.discriminatedUnion('doc_type', [caseExportInstance, formExportInstance]);

export type ExportInstance = z.infer<typeof exportInstance>;
export type CaseExportInstance = z.infer<typeof caseExportInstance>;
export type FormExportInstance = z.infer<typeof formExportInstance>;
export type TableConfiguration = z.infer<typeof tableConfiguration>;
export type ExportColumn = z.infer<typeof exportColumn>;
export type PathNode = z.infer<typeof pathNode>;
export type InstanceFilters = z.infer<typeof instanceFilters>;

/** `tables[1].columns[0].item.path` from zod's path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/**
 * Reads an export instance; throws ExportConfigError naming the first problem's JSON path. A
 * selected table's columns must start with the table's path (CommCare asserts the same), so a
 * column that could never have a value is refused at load, not exported as blanks.
 */
export function parseExportInstance(value: unknown, origin: string): ExportInstance {
  const parsed = exportInstance.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const reason =
      issue.code === 'invalid_union' && issue.path.length === 0
        ? 'doc_type must be CaseExportInstance or FormExportInstance'
        : issue.message;
    throw new ExportConfigError(origin, jsonPath(issue.path), reason);
  }
  const instance = parsed.data;
  instance.tables.forEach((table, t) => {
    if (!table.selected) return;
    table.columns.forEach((column, c) => {
      if (column.doc_type === 'RowNumberColumn') return;
      const prefix = column.item.path.slice(0, table.path.length).map((n) => n.name);
      if (prefix.join('.') !== table.path.map((n) => n.name).join('.')) {
        throw new ExportConfigError(
          origin,
          `tables[${t}].columns[${c}].item.path`,
          `a column of table "${table.label}" must start with the table's path ${table.path.map((n) => n.name).join('.') || '(root)'}`,
        );
      }
      if (column.doc_type === 'SplitExportColumn' && column.item.options.length === 0 && column.selected) {
        throw new ExportConfigError(
          origin,
          `tables[${t}].columns[${c}].item.options`,
          'a SplitExportColumn needs the multiple choice options to split into',
        );
      }
    });
  });
  if (!instance.tables.some((table) => table.selected))
    throw new ExportConfigError(origin, 'tables', 'no table is selected: the export would be empty');
  return instance;
}
