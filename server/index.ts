// The HTTP surface of `tributary serve`: one server, route modules mounted on it (receiver, reports, …).
export { startServer } from './server.js';
export type { RouteModuleFactory, RunningServer, ServerOptions, ServerServices } from './server.js';
export { receiverModule } from './receiver/receiver-module.js';
export { reportsModule } from './reports/reports-module.js';
export { searchModule } from './search/search-module.js';
export { HttpError } from './http/http-error.js';
export type { DomainRequest, Route, RouteModule, RouteRequest } from './http/route.js';
export {
  readServerSettings,
  serverSettings,
  serverSettingVariables,
  ServerSettingsError,
  type ServerSettings,
} from './server-settings.js';
export { exportsModule, importsModule, pagesModule, sessionAuthenticator } from './tasks/task-modules.js';
export type { TaskModuleSettings } from './tasks/task-modules.js';
export type { PipelineStatusView } from './pages/pages-routes.js';
export { openTaskServices } from './tasks/task-services.js';
export type { TaskServices } from './tasks/task-services.js';
export { startTaskWorkers } from './tasks/task-worker.js';
export { scheduleDailyExports } from './exports/daily-exports.js';
