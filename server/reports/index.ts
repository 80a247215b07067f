// UCR reports over HTTP: the report configurations of pipelines/ucr/reports served as JSON and CSV from the data source views.
export { createReportService } from './report-service.js';
export type { ReportService, ReportServiceOptions } from './report-service.js';
export { reportRoutes } from './report-routes.js';
