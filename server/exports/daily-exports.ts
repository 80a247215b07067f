/**
 * Daily saved exports: one repeatable job per export (a BullMQ job scheduler) rebuilds its file at a
 * low priority; the latest file and its build time are kept in Redis, so downloading it is instant.
 * A new build replaces the previous file, which is then removed from the blob store.
 */
import { randomUUID } from 'node:crypto';
import { taskPriorities } from '../../connectors/redis/task-queue.js';
import type { TaskServices } from '../tasks/task-services.js';
import type { ExportJobData, ExportResult } from './export-task.js';

export interface DailyExportFile {
  fileKey: string;
  fileName: string;
  contentType: string;
  bytes: number;
  builtAt: string;
  taskId: string;
  rows: Record<string, number>;
}

const dailyKey = (services: TaskServices, domain: string, exportId: string) =>
  `${services.queueOptions.prefix}:daily:${domain}:${exportId}`;

export async function recordDailyExport(
  services: TaskServices,
  job: ExportJobData,
  result: ExportResult,
): Promise<void> {
  const key = dailyKey(services, job.domain, job.exportId);
  const previous = await services.redis.hget(key, 'file_key');
  await services.redis.hset(key, {
    file_key: result.fileKey,
    file_name: result.fileName,
    content_type: result.contentType,
    bytes: result.bytes,
    built_at: new Date().toISOString(),
    task_id: job.taskId,
    rows: JSON.stringify(result.rows),
  });
  if (previous && previous !== result.fileKey)
    await services.s3.removeObject(services.bucket, previous).catch(() => undefined);
}

export async function latestDailyExport(
  services: TaskServices,
  domain: string,
  exportId: string,
): Promise<DailyExportFile | null> {
  const hash = await services.redis.hgetall(dailyKey(services, domain, exportId));
  if (!hash.file_key) return null;
  return {
    fileKey: hash.file_key,
    fileName: hash.file_name ?? 'export',
    contentType: hash.content_type ?? 'application/octet-stream',
    bytes: Number(hash.bytes ?? 0),
    builtAt: hash.built_at ?? '',
    taskId: hash.task_id ?? '',
    rows: JSON.parse(hash.rows ?? '{}') as Record<string, number>,
  };
}

/** Queues one rebuild now (a person asked, or no file exists yet); resolves with the task id. */
export async function queueDailyBuild(
  services: TaskServices,
  domain: string,
  exportId: string,
): Promise<string> {
  const taskId = `daily-${randomUUID()}`;
  await services.status.create(taskId, 'export', domain, { export_id: exportId, daily: '1' });
  const data: ExportJobData = { taskId, domain, exportId, filters: {}, daily: true };
  await services
    .queue('exports')
    .add('daily-export', data, { jobId: taskId, priority: taskPriorities.scheduled });
  return taskId;
}

/**
 * One job scheduler per daily saved export of the catalog's folder (idempotent: run by every worker
 * at start), and a first build for those without a file yet. `everyMs` is a day unless a test says.
 */
export async function scheduleDailyExports(services: TaskServices, everyMs = 86_400_000): Promise<string[]> {
  const scheduled: string[] = [];
  for (const instance of await services.catalog.dailySaved()) {
    if (!instance.auto_rebuild_enabled) continue;
    const id = `daily:${instance.domain}:${instance._id}`;
    await services.queue('exports').upsertJobScheduler(
      id,
      { every: everyMs },
      {
        name: 'daily-export',
        data: { taskId: '', domain: instance.domain, exportId: instance._id, filters: {}, daily: true },
        opts: { priority: taskPriorities.scheduled },
      },
    );
    scheduled.push(id);
    if (!(await latestDailyExport(services, instance.domain, instance._id)))
      await queueDailyBuild(services, instance.domain, instance._id);
  }
  return scheduled;
}
