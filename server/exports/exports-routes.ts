/**
 * The exports' JSON API: start an export (a task on the `exports` queue, its status created in Redis
 * first), poll its status, download its file (streamed from the blob store to an authorised user of
 * the domain), download the latest daily saved file.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { exportFilterParameters, exportQuery } from '../../commcare/exports/index.js';
import { taskPriorities } from '../../connectors/redis/task-queue.js';
import { HttpError } from '../http/http-error.js';
import { readBody, sendJson } from '../http/respond.js';
import type { DomainRequest, RouteModule } from '../http/route.js';
import type { TaskServices } from '../tasks/task-services.js';
import { latestDailyExport, queueDailyBuild } from './daily-exports.js';
import type { ExportJobData } from './export-task.js';

/** Filters from the query string, or a JSON or form body. */
async function filtersOf(request: DomainRequest): Promise<Record<string, string>> {
  const filters: Record<string, string> = {};
  for (const [name, value] of request.url.searchParams) filters[name] = value;
  const body = (await readBody(request.req, request.res, 64 * 1024)).toString('utf8').trim();
  if (body) {
    const type = request.req.headers['content-type'] ?? '';
    let entries: [string, unknown][];
    try {
      entries = type.includes('json')
        ? Object.entries(JSON.parse(body) as Record<string, unknown>)
        : [...new URLSearchParams(body)];
    } catch {
      throw new HttpError(400, 'The body is not JSON.');
    }
    for (const [name, value] of entries) {
      if (value === '' || value === null || value === undefined) continue;
      if (typeof value === 'object')
        throw new HttpError(400, `${name}: expected text, a number or a boolean.`, {}, { parameter: name });
      filters[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return filters;
}

export async function startExport(
  tasks: TaskServices,
  request: DomainRequest,
  exportId: string,
): Promise<string> {
  const instance = await tasks.catalog.get(request.domain, exportId).catch((error: Error) => {
    throw new HttpError(
      422,
      `The export configuration is broken: ${error.message}`,
      {},
      { export_id: exportId },
    );
  });
  if (!instance) throw new HttpError(404, `No export ${exportId} in domain ${request.domain}.`);
  const filters = await filtersOf(request);
  try {
    exportQuery(instance, filters, Date.now());
  } catch (error) {
    const parameter = (error as { parameter?: string }).parameter;
    throw new HttpError(
      400,
      (error as Error).message,
      {},
      parameter ? { parameter, expected: exportFilterParameters } : {},
    );
  }
  const taskId = randomUUID();
  await tasks.status.create(taskId, 'export', request.domain, {
    export_id: exportId,
    export_name: instance.name,
    requested_by: request.user.username,
  });
  const data: ExportJobData = { taskId, domain: request.domain, exportId, filters };
  await tasks.queue('exports').add('export', data, { jobId: taskId, priority: taskPriorities.interactive });
  return taskId;
}

async function taskOf(tasks: TaskServices, domain: string, taskId: string) {
  const status = await tasks.status.get(taskId);
  // Another domain's task is answered as missing: ids are not secrets, but they are not shared either.
  if (!status || status.domain !== domain || status.kind !== 'export')
    throw new HttpError(404, `No export task ${taskId}.`);
  return status;
}

async function streamObject(
  tasks: TaskServices,
  res: ServerResponse,
  key: string,
  fileName: string,
  contentType: string,
  bytes: number,
) {
  const stream = await tasks.s3.getObject(tasks.bucket, key).catch((error: Error) => {
    if ((error as { code?: string }).code === 'NoSuchKey')
      throw new HttpError(410, 'The file is gone from the blob store.');
    throw error;
  });
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': String(bytes),
    'content-disposition': `attachment; filename="${fileName.replace(/["\\]/g, '')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    'cache-control': 'private, no-store',
  });
  for await (const chunk of stream)
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  res.end();
}

export function exportsRoutes(tasks: TaskServices): RouteModule {
  return {
    name: 'exports',
    routes: [
      {
        method: 'POST',
        path: '/a/:domain/exports/:exportId/start',
        access: 'domain-user',
        summary: 'Start an export (filters as parameters); answers {task_id}.',
        handle: async (request) => {
          const taskId = await startExport(tasks, request, request.params.exportId!);
          sendJson(request.res, 202, {
            task_id: taskId,
            status_url: `/a/${request.domain}/exports/tasks/${taskId}`,
          });
        },
      },
      {
        method: 'GET',
        path: '/a/:domain/exports/tasks/:taskId',
        access: 'domain-user',
        summary:
          "An export task's status: state, done, total, percent, started_at, updated_at; the download link when done.",
        handle: async ({ res, domain, params }) => {
          const status = await taskOf(tasks, domain, params.taskId!);
          sendJson(res, 200, {
            ...status,
            ...(status.state === 'done'
              ? { download_url: `/a/${domain}/exports/tasks/${status.task_id}/download` }
              : {}),
          });
        },
      },
      {
        method: ['GET', 'HEAD'],
        path: '/a/:domain/exports/tasks/:taskId/download',
        access: 'domain-user',
        summary: "An export task's file, streamed from the blob store.",
        handle: async ({ res, domain, params }) => {
          const status = await taskOf(tasks, domain, params.taskId!);
          if (status.state !== 'done')
            throw new HttpError(409, `The export is ${status.state}, not done yet.`);
          const d = status.details;
          await streamObject(
            tasks,
            res,
            d.file_key!,
            d.file_name ?? 'export',
            d.content_type ?? 'application/octet-stream',
            Number(d.bytes ?? 0),
          );
        },
      },
      {
        method: ['GET', 'HEAD'],
        path: '/a/:domain/exports/:exportId/download',
        access: 'domain-user',
        summary: 'The latest file of a daily saved export (instant: built on schedule).',
        handle: async ({ res, domain, params }) => {
          const file = await latestDailyExport(tasks, domain, params.exportId!);
          if (!file) throw new HttpError(404, `Daily saved export ${params.exportId} has no file yet.`);
          await streamObject(tasks, res, file.fileKey, file.fileName, file.contentType, file.bytes);
        },
      },
      {
        method: 'POST',
        path: '/a/:domain/exports/:exportId/rebuild',
        access: 'domain-user',
        summary: 'Rebuild a daily saved export now; answers {task_id}.',
        handle: async ({ res, domain, params }) => {
          const instance = await tasks.catalog.get(domain, params.exportId!);
          if (!instance?.is_daily_saved_export)
            throw new HttpError(404, `No daily saved export ${params.exportId}.`);
          sendJson(res, 202, { task_id: await queueDailyBuild(tasks, domain, instance._id) });
        },
      },
    ],
  };
}
