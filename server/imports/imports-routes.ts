/**
 * Case import over HTTP: `POST /a/{domain}/imports/cases` (multipart: `file`, `case_type`,
 * `search_column`, `search_field`, `create_new_cases`, `mapping` as JSON {column: property}) stores
 * the file in the blob store and queues the task; `…/preview` answers the file's columns and first
 * rows (for the mapping form); `GET …/imports/tasks/{id}` answers status and per-row results.
 */
import { randomUUID } from 'node:crypto';
import { multipartBoundary, MultipartError, parseMultipart } from '../http/multipart.js';
import { HttpError } from '../http/http-error.js';
import { readBody, sendJson } from '../http/respond.js';
import type { DomainRequest, RouteModule } from '../http/route.js';
import { taskPriorities } from '../../connectors/redis/task-queue.js';
import { ensureBucket } from '../../connectors/blob/s3-multipart-upload.js';
import type { TaskServices } from '../tasks/task-services.js';
import { checkMapping, importResults, type ImportJobData } from './import-task.js';
import { readTableFile, TableFileError } from './read-table-file.js';

export interface ImportRoutesOptions {
  maxUploadBytes: number;
  outbox: ImportJobData['outbox'];
}

async function formOf(request: DomainRequest, limit: number) {
  let boundary: string | null;
  try {
    boundary = multipartBoundary(request.req.headers['content-type']);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  if (!boundary)
    throw new HttpError(415, 'Expected multipart/form-data with the file in a part named "file".');
  const body = await readBody(request.req, request.res, limit);
  try {
    const parts = parseMultipart(body, boundary);
    const file = parts.find((p) => p.name === 'file' && p.filename);
    if (!file) throw new HttpError(400, 'No file: send the table in a part named "file".');
    const fields = new Map(parts.filter((p) => !p.filename).map((p) => [p.name, p.data.toString('utf8')]));
    return { file, fields };
  } catch (error) {
    if (error instanceof MultipartError) throw new HttpError(400, error.message);
    throw error;
  }
}

function tableOf(name: string, data: Buffer) {
  try {
    return readTableFile(name, data);
  } catch (error) {
    if (error instanceof TableFileError) throw new HttpError(400, error.message);
    throw error;
  }
}

function parseMapping(text: string | undefined): Record<string, string> {
  if (!text)
    throw new HttpError(
      400,
      'mapping: expected a JSON object {"column": "case property"}.',
      {},
      { parameter: 'mapping' },
    );
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return Object.fromEntries(Object.entries(value).filter(([, p]) => typeof p === 'string' && p !== ''));
  } catch (error) {
    throw new HttpError(
      400,
      `mapping: not a JSON object (${(error as Error).message}).`,
      {},
      { parameter: 'mapping' },
    );
  }
}

export function importsRoutes(tasks: TaskServices, options: ImportRoutesOptions): RouteModule {
  return {
    name: 'imports',
    routes: [
      {
        method: 'POST',
        path: '/a/:domain/imports/cases/preview',
        access: 'domain-user',
        summary: "An uploaded table's columns and first rows, for mapping them to case properties.",
        handle: async (request) => {
          const { file } = await formOf(request, options.maxUploadBytes);
          const table = tableOf(file.filename!, file.data);
          sendJson(request.res, 200, {
            columns: table.headers,
            rows: table.rows.slice(0, 5),
            row_count: table.rows.length,
          });
        },
      },
      {
        method: 'POST',
        path: '/a/:domain/imports/cases',
        access: 'domain-user',
        summary: 'Import cases from an xlsx or csv file (multipart); answers {task_id}.',
        handle: async (request) => {
          const { file, fields } = await formOf(request, options.maxUploadBytes);
          const table = tableOf(file.filename!, file.data);
          const caseType = fields.get('case_type')?.trim();
          if (!caseType) throw new HttpError(400, 'case_type: required.', {}, { parameter: 'case_type' });
          const searchField = fields.get('search_field') ?? 'case_id';
          if (searchField !== 'case_id' && searchField !== 'external_id')
            throw new HttpError(
              400,
              'search_field: expected case_id or external_id.',
              {},
              { parameter: 'search_field' },
            );
          const job: Omit<ImportJobData, 'fileKey' | 'taskId'> = {
            domain: request.domain,
            user: { id: request.user.id, username: request.user.username },
            fileName: file.filename!,
            caseType,
            mapping: parseMapping(fields.get('mapping')),
            searchColumn: fields.get('search_column') ?? searchField,
            searchField,
            createNewCases:
              fields.get('create_new_cases') === 'true' || fields.get('create_new_cases') === 'on',
            submittedAt: new Date().toISOString(),
            outbox: options.outbox,
          };
          const problem = checkMapping(job, table.headers);
          if (problem) throw new HttpError(400, problem, {}, { parameter: 'mapping' });
          const taskId = randomUUID();
          const fileKey = `imports/${request.domain}/${taskId}/${file.filename!.replace(/[^A-Za-z0-9._-]/g, '_')}`;
          await ensureBucket(tasks.s3, tasks.bucket, tasks.region);
          await tasks.s3.putObject(tasks.bucket, fileKey, file.data, file.data.length, {
            'Content-Type': file.contentType,
          });
          await tasks.status.create(taskId, 'case-import', request.domain, {
            file_name: file.filename!,
            requested_by: request.user.username,
            total: String(table.rows.length),
          });
          await tasks
            .queue('imports')
            .add(
              'case-import',
              { ...job, taskId, fileKey },
              { jobId: taskId, priority: taskPriorities.interactive },
            );
          sendJson(request.res, 202, {
            task_id: taskId,
            status_url: `/a/${request.domain}/imports/tasks/${taskId}`,
          });
        },
      },
      {
        method: 'GET',
        path: '/a/:domain/imports/tasks/:taskId',
        access: 'domain-user',
        summary: "A case import's status and per-row results (created, updated, failed and why).",
        handle: async ({ res, domain, params }) => {
          const status = await tasks.status.get(params.taskId!);
          if (!status || status.domain !== domain || status.kind !== 'case-import')
            throw new HttpError(404, `No import task ${params.taskId}.`);
          sendJson(res, 200, { ...status, results: await importResults(tasks, status.task_id) });
        },
      },
    ],
  };
}
