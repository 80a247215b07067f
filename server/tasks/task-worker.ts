/**
 * `tributary worker`: BullMQ workers on the chosen queues, with a concurrency per queue. Each job's
 * status is kept in Redis by the task; a failure that another attempt cannot fix (a broken
 * configuration) fails the job at once with that message, anything else is retried with backoff,
 * and a job whose worker died is picked up again by stalled-job recovery.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { taskConnection, type TaskQueueName } from '../../connectors/redis/task-queue.js';
import { exportFailureIsFinal, runExportTask, type ExportJobData } from '../exports/export-task.js';
import { recordDailyExport } from '../exports/daily-exports.js';
import { runImportTask, type ImportJobData } from '../imports/import-task.js';
import type { TaskServices } from './task-services.js';

export interface TaskWorkerOptions {
  queues: readonly TaskQueueName[];
  concurrency: number;
  /** How long a job's lock lives without renewal; a killed worker's job is recovered after it. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  pageSize: number;
  partBytes: number;
  maxRowsPerSheet?: number;
}

export interface RunningWorkers {
  close(): Promise<void>;
}

async function exportJob(
  job: Job<ExportJobData>,
  services: TaskServices,
  options: TaskWorkerOptions,
  signal: AbortSignal,
) {
  // A scheduler's job carries no task id: its status is created here, named after the job.
  const data = job.data.taskId ? job.data : { ...job.data, taskId: `daily-${job.id}` };
  if (!job.data.taskId && !(await services.status.get(data.taskId)))
    await services.status.create(data.taskId, 'export', data.domain, {
      export_id: data.exportId,
      daily: '1',
    });
  try {
    const result = await runExportTask(
      data,
      { ...services, ...options, progressIntervalMs: 500, uploadAttempts: 3, uploadRetryDelayMs: 1_000 },
      signal,
    );
    await services.status.finish(data.taskId, {
      file_key: result.fileKey,
      file_name: result.fileName,
      content_type: result.contentType,
      bytes: result.bytes,
      documents: result.documents,
      done: result.documents,
      total: result.documents,
      rows: JSON.stringify(result.rows),
    });
    if (data.daily) await recordDailyExport(services, data, result);
    return result;
  } catch (error) {
    const message = (error as Error).message;
    const final = exportFailureIsFinal(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) {
      await services.status.fail(data.taskId, message);
      if (exportFailureIsFinal(error)) throw new UnrecoverableError(message);
    } else {
      await services.status.set(data.taskId, { error: `attempt ${job.attemptsMade + 1} failed: ${message}` });
    }
    throw error;
  }
}

export function startTaskWorkers(services: TaskServices, options: TaskWorkerOptions): RunningWorkers {
  const abort = new AbortController();
  const workers = options.queues.map(
    (name) =>
      new Worker(
        name,
        async (job: Job) => {
          if (name === 'exports')
            return exportJob(job as Job<ExportJobData>, services, options, abort.signal);
          return runImportTask((job as Job<ImportJobData>).data, services, abort.signal);
        },
        {
          connection: taskConnection(services.endpoints.REDIS_URL),
          prefix: services.queueOptions.prefix,
          concurrency: options.concurrency,
          lockDuration: options.lockDurationMs,
          stalledInterval: options.stalledIntervalMs,
          maxStalledCount: 2,
        },
      ),
  );
  for (const worker of workers) {
    worker.on('failed', (job, error) =>
      services.logger.warn(
        { queue: worker.name, job: job?.id, attempt: job?.attemptsMade, err: error.message },
        'A task attempt failed.',
      ),
    );
    worker.on('error', (error) =>
      services.logger.warn(
        { queue: worker.name, err: error.message },
        'The worker lost Redis; it reconnects.',
      ),
    );
  }
  return {
    close: async () => {
      abort.abort();
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
