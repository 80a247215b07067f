// UCR report configurations: parsed, checked against a data source's columns, compiled to bound SQL and shaped into report rows.
export { compileReport } from './compile-report.js';
export type {
  CompiledReport,
  ExpansionQuery,
  ReportOutput,
  ReportOutputColumn,
  ReportPlan,
  ReportRequest,
  SqlQuery,
} from './compile-report.js';
export type { DataSourceColumn } from './data-source-column.js';
export { formatPercent } from './format-percent.js';
export { parseReportConfig, reportColumnId } from './report-config.js';
export type { ReportConfig, ReportColumnSpec, ReportFilterSpec } from './report-config.js';
export { ReportConfigError } from './report-config-error.js';
export type { ReportConfigIssue } from './report-config-error.js';
export { reportCsv } from './report-csv.js';
export { noneChoice, showAllChoice } from './report-filters.js';
export { ReportRequestError } from './report-request-error.js';
export { quoteIdentifier } from '../sql/quote-identifier.js';
export { isValidDomain, ucrSchema, ucrViewName } from './ucr-view-name.js';
