/**
 * The route modules of exports, case import and the pages, for `startServer`, sharing one set of
 * task services; and the authenticator that lets their browser sessions in (Basic and API keys
 * still work as before).
 */
import { DirectoryAuthenticator } from '../auth/directory-authenticator.js';
import { SessionAuthenticator } from '../auth/session-authenticator.js';
import { SessionStore } from '../auth/sessions.js';
import { exportsRoutes } from '../exports/exports-routes.js';
import type { Authenticator } from '../http/http-server.js';
import { importsRoutes, type ImportRoutesOptions } from '../imports/imports-routes.js';
import { pagesRoutes, type PipelineStatusView } from '../pages/pages-routes.js';
import type { RouteModuleFactory, ServerServices } from '../server.js';
import {
  closeSharedTaskServices,
  sharedTaskServices,
  type TaskModuleSettings,
} from './shared-task-services.js';

export type { TaskModuleSettings } from './shared-task-services.js';

export function sessionStoreOf(services: ServerServices, settings: TaskModuleSettings): SessionStore {
  return new SessionStore(services.redis, `${settings.prefix}:`);
}

/** Sessions first, then HTTP Basic and API keys of the directory. */
export function sessionAuthenticator(
  settings: TaskModuleSettings,
): (services: ServerServices) => Authenticator {
  return (services) =>
    new SessionAuthenticator(
      new DirectoryAuthenticator(services.directory),
      sessionStoreOf(services, settings),
    );
}

export function exportsModule(settings: TaskModuleSettings): RouteModuleFactory {
  return async (services) => ({
    ...exportsRoutes(await sharedTaskServices(services, settings)),
    close: () => closeSharedTaskServices(services),
  });
}

export function importsModule(
  settings: TaskModuleSettings,
  options: ImportRoutesOptions,
): RouteModuleFactory {
  return async (services) => ({
    ...importsRoutes(await sharedTaskServices(services, settings), options),
    close: () => closeSharedTaskServices(services),
  });
}

export function pagesModule(
  settings: TaskModuleSettings,
  options: { pipelineStatus?: () => Promise<PipelineStatusView[]> } = {},
): RouteModuleFactory {
  return async (services) => ({
    ...pagesRoutes(await sharedTaskServices(services, settings), {
      sessions: sessionStoreOf(services, settings),
      authenticator: new DirectoryAuthenticator(services.directory),
      ...options,
    }),
    close: () => closeSharedTaskServices(services),
  });
}
