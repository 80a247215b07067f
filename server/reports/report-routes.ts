/** The UCR reports as a route module: `GET /a/{domain}/reports/{report_id}/data`, for users of the domain. */
import type { RouteModule } from '../http/route.js';
import type { ReportService } from './report-service.js';

export function reportRoutes(service: Pick<ReportService, 'handleReportRequest'>): RouteModule {
  return {
    name: 'reports',
    routes: [
      {
        method: ['GET', 'HEAD'],
        path: '/a/:domain/reports/:reportId/data',
        access: 'domain-user',
        action: 'read reports of',
        summary: 'A UCR report as JSON, or CSV with format=csv; filters as parameters.',
        handle: async ({ req, res }) => {
          await service.handleReportRequest(req, res);
        },
      },
    ],
  };
}
