// The HTTP surface of `tributary serve`: one server, route modules mounted on it (receiver, reports, …).
export { startServer } from './server.js';
export type { RouteModuleFactory, RunningServer, ServerOptions, ServerServices } from './server.js';
export { receiverModule } from './receiver/receiver-module.js';
export { reportsModule } from './reports/reports-module.js';
export { searchModule } from './search/search-module.js';
export { HttpError } from './http/http-error.js';
export type { DomainRequest, Route, RouteModule, RouteRequest } from './http/route.js';
