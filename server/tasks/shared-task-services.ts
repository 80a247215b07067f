/** One TaskServices per server, shared by the exports, imports and pages modules (opened by the first). */
import type { ServerServices } from '../server.js';
import { openTaskServices, type TaskServices, type TaskServicesOptions } from './task-services.js';

export type TaskModuleSettings = Omit<TaskServicesOptions, 'endpoints' | 'logger' | 'db'>;

const opened = new WeakMap<ServerServices, Promise<TaskServices>>();

export function sharedTaskServices(
  services: ServerServices,
  settings: TaskModuleSettings,
): Promise<TaskServices> {
  let tasks = opened.get(services);
  if (!tasks) {
    tasks = openTaskServices({
      ...settings,
      endpoints: services.endpoints,
      logger: services.logger,
      db: services.db,
    });
    opened.set(services, tasks);
  }
  return tasks;
}

/** Closes the shared services once (the last module to close does nothing more). */
export async function closeSharedTaskServices(services: ServerServices): Promise<void> {
  const tasks = opened.get(services);
  if (!tasks) return;
  opened.delete(services);
  await (await tasks).close();
}
