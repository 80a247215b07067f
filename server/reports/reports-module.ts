/** The reports' route module for `startServer`: loads the report configurations and serves them. */
import type { RouteModuleFactory } from '../server.js';
import { reportRoutes } from './report-routes.js';
import { createReportService } from './report-service.js';

export interface ReportsModuleOptions {
  /** Folder of report configuration files; `pipelines/ucr/reports` of this repository by default. */
  reportsDir?: string;
}

export function reportsModule(options: ReportsModuleOptions = {}): RouteModuleFactory {
  return ({ db, logger }) => {
    const service = createReportService({
      db,
      logger,
      ...(options.reportsDir ? { reportsDir: options.reportsDir } : {}),
    });
    service
      .load()
      .catch((error: unknown) =>
        logger.error({ err: (error as Error).message }, 'Some report configurations are invalid.'),
      );
    return reportRoutes(service);
  };
}
