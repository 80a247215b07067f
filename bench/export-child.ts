/**
 * One measured export run in a process of its own (its peak RSS is the run's):
 * `node export-child.js task|bare <format> <domain> <prefix> <folder>`; prints one JSON line.
 * `task` queues the export on BullMQ and runs it with a worker in this process (configuration,
 * lookups, status in Redis); `bare` is the same cursor read, writer and upload with none of that.
 */
import { randomUUID } from 'node:crypto';
import { readEndpoints } from '../connectors/endpoints.js';
import { exportFileStream } from '../connectors/blob/export-file-stream.js';
import { ExportSpool, type ExportFormat } from '../connectors/blob/export-spool.js';
import { ensureBucket, multipartUpload } from '../connectors/blob/s3-multipart-upload.js';
import { countExportDocuments, readExportDocuments } from '../connectors/postgres/export-reader.js';
import { taskPriorities } from '../connectors/redis/task-queue.js';
import { openTaskServices, startTaskWorkers } from '../server/index.js';
import { createLogger } from '../runtime/telemetry/logger.js';
import type { ExportCell } from '../commcare/exports/index.js';

const [mode, format, domain, prefix, folder] = process.argv.slice(2) as [
  string,
  ExportFormat,
  string,
  string,
  string,
];
const tasks = await openTaskServices({
  endpoints: readEndpoints(),
  logger: createLogger({ level: 'warn' }),
  prefix,
  exportsFolder: folder,
  exportsDatabase: 'commcarehq',
  usersDatabase: 'commcarehq__users',
  mainDatabase: 'commcarehq',
});
const pageSize = 1000;
const partBytes = 8 * 1024 * 1024;
const started = performance.now();
let firstProgressMs: number | null = null;
let documents = 0;
if (mode === 'task') {
  const workers = startTaskWorkers(tasks, {
    queues: ['exports'],
    concurrency: 1,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    pageSize,
    partBytes,
  });
  const taskId = randomUUID();
  await tasks.status.create(taskId, 'export', domain, { export_id: 'bench' });
  await tasks
    .queue('exports')
    .add(
      'export',
      { taskId, domain, exportId: 'bench', filters: {} },
      { jobId: taskId, priority: taskPriorities.interactive },
    );
  for (;;) {
    const status = await tasks.status.get(taskId);
    if (firstProgressMs === null && status && status.done > 0) firstProgressMs = performance.now() - started;
    if (status?.state === 'done') {
      documents = Number(status.details.documents);
      break;
    }
    if (status?.state === 'failed') throw new Error(status.error ?? 'failed');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await workers.close();
} else {
  // The same columns as the bench export, read straight off the document: no configuration, no lookups, no queue.
  const query = {
    kind: 'case' as const,
    domain,
    identifier: 'household',
    dateFrom: null,
    dateTo: null,
    userIds: [],
    ownerIds: [],
    status: 'all' as const,
  };
  const headers = ['caseid', 'name', 'village', 'household_size', 'owner_id', 'opened_on', 'closed'];
  const tables = [{ label: 'Cases', headers }];
  await countExportDocuments(tasks.db, query);
  const spool = await ExportSpool.create(format, tables);
  for await (const page of readExportDocuments(tasks.db, query, pageSize)) {
    for (const doc of page) {
      const row: ExportCell[] = [
        doc._id as string,
        doc.name as string,
        doc.village as string,
        Number(doc.household_size),
        doc.owner_id as string,
        doc.opened_on as string,
        doc.closed as boolean,
      ];
      spool.write(0, row);
      documents++;
    }
    await spool.flush();
  }
  const parts = await spool.finish();
  await ensureBucket(tasks.s3, tasks.bucket, tasks.region);
  await multipartUpload(tasks.s3, exportFileStream(format, parts, tables), {
    bucket: tasks.bucket,
    key: `bench/${randomUUID()}`,
    contentType: 'application/octet-stream',
    partBytes,
    attempts: 3,
    retryDelayMs: 500,
  });
  await spool.dispose();
}
const seconds = (performance.now() - started) / 1000;
await tasks.close();
process.stdout.write(
  `${JSON.stringify({ documents, seconds, rowsPerSecond: documents / seconds, firstProgressMs, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
);
process.exit(0);
