// CommCare's export configurations (FormExportInstance, CaseExportInstance) compiled into tables of rows; pure.
export { cellText, EMPTY_VALUE, ExportDate, MISSING_VALUE } from './export-cell.js';
export type { ExportCell } from './export-cell.js';
export { ExportConfigError } from './export-config-error.js';
export { deidTransforms, exportTransforms, jsonPath, parseExportInstance } from './export-instance.js';
export type {
  CaseExportInstance,
  ExportColumn,
  ExportInstance,
  FormExportInstance,
  TableConfiguration,
} from './export-instance.js';
export { emptyLookupKeys, mapLookups, noLookups } from './export-lookups.js';
export type { ExportLookupKeys, ExportLookups } from './export-lookups.js';
export { compileExport, subDocuments } from './compile-export.js';
export type { CompiledExport, CompiledTable } from './compile-export.js';
export { excelDate, getPath } from './compile-column.js';
export { exportFilterParameters, ExportFilterError, exportQuery } from './export-query.js';
export type { ExportQuery } from './export-query.js';
// One neutraliser for every CSV and spreadsheet of the project (commcare/spreadsheet).
export { neutralizeFormula as neutraliseFormula } from '../spreadsheet/index.js';
