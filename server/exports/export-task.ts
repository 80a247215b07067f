/**
 * The export task, as CommCare's background workflow runs it: fetch the configuration, count the
 * documents (so progress has a total), read them from PostgreSQL by keyset pagination, turn each
 * page into rows through the compiled configuration (with its lookups answered in one batch), spool
 * the rows to disk, then stream the file to the blob store by multipart upload; progress goes to the
 * task's status in Redis at least every second. A retried attempt starts again from the first row.
 */
import type { Client } from 'minio';
import {
  compileExport,
  exportQuery,
  mapLookups,
  type CompiledExport,
  type ExportInstance,
  type ExportQuery,
} from '../../commcare/exports/index.js';
import {
  exportContentTypes,
  exportExtensions,
  exportFileStream,
} from '../../connectors/blob/export-file-stream.js';
import { ExportSpool } from '../../connectors/blob/export-spool.js';
import { ensureBucket, multipartUpload } from '../../connectors/blob/s3-multipart-upload.js';
import type { ExportLookupLoader } from '../../connectors/couchdb/export-lookup-loader.js';
import {
  caseNames,
  countExportDocuments,
  readExportDocuments,
} from '../../connectors/postgres/export-reader.js';
import type { Database } from '../../connectors/postgres/postgres-pool.js';
import type { TaskStatusStore } from '../../connectors/redis/task-status.js';
import type { Logger } from '../../runtime/contract/index.js';
import type { ExportCatalog } from './export-catalog.js';

export interface ExportJobData {
  taskId: string;
  domain: string;
  exportId: string;
  /** Filter parameters of the request (see exportFilterParameters). */
  filters: Record<string, string>;
  /** Set for the scheduled rebuild of a daily saved export. */
  daily?: boolean;
}

export interface ExportTaskDeps {
  db: Database;
  s3: Client;
  bucket: string;
  region: string;
  catalog: ExportCatalog;
  lookups: ExportLookupLoader;
  status: TaskStatusStore;
  logger: Logger;
  pageSize: number;
  partBytes: number;
  /** How often progress is written while rows stream (the issue asks for at least every second). */
  progressIntervalMs: number;
  maxRowsPerSheet?: number;
  /** Whole-upload attempts when every retry of a part failed (the spooled file is streamed again). */
  uploadAttempts: number;
  uploadRetryDelayMs: number;
}

/** The configuration is missing or broken: retrying cannot help. */
export class ExportTaskError extends Error {
  override readonly name = 'ExportTaskError';
}

export interface ExportResult {
  fileKey: string;
  fileName: string;
  contentType: string;
  bytes: number;
  rows: Record<string, number>;
  documents: number;
}

export function exportFileName(instance: ExportInstance, when: Date): string {
  const safe = instance.name.replace(/[^A-Za-z0-9 ._-]+/g, '').trim() || instance._id;
  return `${safe} ${when.toISOString().slice(0, 10)}.${exportExtensions[instance.export_format]}`;
}

async function loadInstance(deps: ExportTaskDeps, job: ExportJobData): Promise<ExportInstance> {
  try {
    const instance = await deps.catalog.get(job.domain, job.exportId);
    if (!instance) throw new ExportTaskError(`No export ${job.exportId} in domain ${job.domain}.`);
    return instance;
  } catch (error) {
    if (error instanceof ExportTaskError) throw error;
    throw new ExportTaskError((error as Error).message);
  }
}

/** Reads every document into the spool; resolves with the rows written per table. */
async function spoolRows(
  deps: ExportTaskDeps,
  job: ExportJobData,
  compiled: CompiledExport,
  query: ExportQuery,
  spool: ExportSpool,
  total: number,
  signal: AbortSignal,
): Promise<{ documents: number; rows: number[] }> {
  const rows = compiled.tables.map(() => 0);
  let documents = 0;
  let lastReport = Date.now();
  for await (const page of readExportDocuments(deps.db, query, deps.pageSize)) {
    if (signal.aborted) throw new Error('The worker is stopping.');
    const keys = compiled.lookupKeys(page);
    const [names, cases] = await Promise.all([
      deps.lookups.names(job.domain, keys.users, keys.owners),
      caseNames(deps.db, job.domain, [...keys.cases]),
    ]);
    const lookups = mapLookups({ ...names, caseNames: cases });
    for (const doc of page) {
      compiled.tables.forEach((table, t) => {
        for (const row of table.rows(doc, documents, lookups)) {
          spool.write(t, row);
          rows[t]!++;
        }
      });
      documents++;
    }
    await spool.flush();
    if (Date.now() - lastReport >= deps.progressIntervalMs) {
      lastReport = Date.now();
      // Progress is advisory: a Redis blip must not fail an export that PostgreSQL and S3 can finish.
      await deps.status
        .progress(job.taskId, documents, total, percentOf(documents, total))
        .catch((error: Error) =>
          deps.logger.warn({ err: error.message, task: job.taskId }, 'Could not record export progress.'),
        );
    }
  }
  return { documents, rows };
}

/** Rows are 95% of the work; the upload and the final answer the rest. */
const percentOf = (done: number, total: number) =>
  total === 0 ? 95 : Math.min(95, Math.floor((done / total) * 95));

async function upload(
  deps: ExportTaskDeps,
  instance: ExportInstance,
  key: string,
  stream: () => AsyncIterable<Buffer>,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureBucket(deps.s3, deps.bucket, deps.region);
      const result = await multipartUpload(deps.s3, stream(), {
        bucket: deps.bucket,
        key,
        contentType: exportContentTypes[instance.export_format],
        partBytes: deps.partBytes,
        attempts: 4,
        retryDelayMs: deps.uploadRetryDelayMs,
      });
      return result.bytes;
    } catch (error) {
      if (attempt >= deps.uploadAttempts) throw error;
      deps.logger.warn(
        { err: (error as Error).message, key, attempt },
        'The export upload failed; streaming the file again.',
      );
      await new Promise((resolve) => setTimeout(resolve, deps.uploadRetryDelayMs * 2 ** attempt));
    }
  }
}

export async function runExportTask(
  job: ExportJobData,
  deps: ExportTaskDeps,
  signal: AbortSignal,
): Promise<ExportResult> {
  await deps.status.begin(job.taskId);
  const instance = await loadInstance(deps, job);
  const compiled = compileExport(instance);
  const query = exportQuery(instance, job.filters, Date.now());
  const total = await countExportDocuments(deps.db, query);
  await deps.status.progress(job.taskId, 0, total, 0);
  const tables = compiled.tables.map((t) => ({ label: t.label, headers: t.headers }));
  const spool = await ExportSpool.create(instance.export_format, tables, deps.maxRowsPerSheet);
  try {
    const { documents, rows } = await spoolRows(deps, job, compiled, query, spool, total, signal);
    await deps.status.progress(job.taskId, documents, Math.max(total, documents), 95, 'uploading');
    const parts = await spool.finish();
    const fileName = exportFileName(instance, new Date());
    const key = `exports/${job.domain}/${job.exportId}/${job.taskId}.${exportExtensions[instance.export_format]}`;
    const bytes = await upload(deps, instance, key, () =>
      exportFileStream(instance.export_format, parts, tables),
    );
    return {
      fileKey: key,
      fileName,
      contentType: exportContentTypes[instance.export_format],
      bytes,
      rows: Object.fromEntries(compiled.tables.map((t, i) => [t.label, rows[i]!])),
      documents,
    };
  } finally {
    await spool.dispose();
  }
}

/** Whether a failure of the task may pass with another attempt. */
export function exportFailureIsFinal(error: unknown): boolean {
  return error instanceof ExportTaskError || (error as Error).name === 'ExportFilterError';
}
