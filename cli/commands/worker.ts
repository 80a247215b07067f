/**
 * `tributary worker`, `export run|list`, `import cases`: the task queue's process type and the
 * exports and imports from a terminal. Settings shared with `serve` live in `taskSettings`.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readEndpoints } from '../../connectors/endpoints.js';
import { queueCounts, taskQueueNames, type TaskQueueName } from '../../connectors/redis/task-queue.js';
import {
  openTaskServices,
  scheduleDailyExports,
  startTaskWorkers,
  type TaskModuleSettings,
} from '../../server/index.js';
import { runExportTask } from '../../server/exports/export-task.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { UsageError, type OptionValues } from '../command.js';
import { formatTable } from '../format.js';
import { startWorkerTelemetry } from '../worker-telemetry.js';
import { repoRoot } from '../repo-root.js';

export function taskSettings(values: OptionValues = {}): TaskModuleSettings {
  return {
    prefix: (values.prefix as string | undefined) ?? process.env.TRIBUTARY_TASK_PREFIX ?? 'tributary',
    exportsFolder: (values.exports as string | undefined) ?? `${repoRoot}pipelines/exports`,
    exportsDatabase: 'commcarehq',
    usersDatabase: 'commcarehq__users',
    mainDatabase: 'commcarehq',
  };
}

const positiveInt = (name: string, value: unknown): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name}: expected a positive integer, got ${String(value)}`);
  return n;
};

export async function workerCommand(values: OptionValues): Promise<number> {
  const queues = String(values.queues ?? taskQueueNames.join(','))
    .split(',')
    .map((q) => q.trim());
  for (const q of queues)
    if (!(taskQueueNames as readonly string[]).includes(q))
      throw new UsageError(`--queues: unknown queue ${q}; expected ${taskQueueNames.join(', ')}`);
  const logger = createLogger();
  const services = await openTaskServices({ ...taskSettings(values), endpoints: readEndpoints(), logger });
  const workers = startTaskWorkers(services, {
    queues: queues as TaskQueueName[],
    concurrency: positiveInt('concurrency', values.concurrency),
    lockDurationMs: positiveInt('lock-ms', values['lock-ms']),
    stalledIntervalMs: positiveInt('lock-ms', values['lock-ms']),
    pageSize: positiveInt('page-size', values['page-size']),
    partBytes: 8 * 1024 * 1024,
  });
  if (queues.includes('exports'))
    await scheduleDailyExports(services).catch((error: Error) =>
      logger.warn({ err: error.message }, 'Could not schedule the daily saved exports.'),
    );
  const port = Number(values.port ?? 0);
  const telemetry = port
    ? await startWorkerTelemetry(
        port,
        String(values.host ?? '127.0.0.1'),
        () => queueCounts({ redisUrl: readEndpoints().REDIS_URL, prefix: taskSettings(values).prefix }),
        () => true,
      )
    : undefined;
  logger.info({ queues, concurrency: values.concurrency }, 'The worker is taking tasks.');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  logger.info({}, 'Stopping: finishing the tasks in hand.');
  await workers.close();
  await services.close();
  telemetry?.close();
  return 0;
}

export async function exportListCommand(values: OptionValues): Promise<number> {
  const services = await openTaskServices({
    ...taskSettings(values),
    endpoints: readEndpoints(),
    logger: createLogger({ level: 'warn' }),
  });
  try {
    const list = await services.catalog.list(String(values.domain));
    console.log(
      formatTable(
        ['ID', 'NAME', 'KIND', 'FORMAT', 'DAILY', 'PROBLEM'],
        list.map((e) => [e.id, e.name, e.kind, e.format, e.isDailySaved ? 'yes' : '', e.error ?? '']),
      ),
    );
    return list.some((e) => e.error) ? 1 : 0;
  } finally {
    await services.close();
  }
}

/** Runs an export in this process (no queue), with a progress bar on a terminal and lines otherwise. */
export async function exportRunCommand(positionals: string[], values: OptionValues): Promise<number> {
  const domain = String(values.domain);
  const out = values.out as string | undefined;
  if (!out) throw new UsageError('--out FILE is required');
  const filters: Record<string, string> = {};
  for (const f of (values.filter as string[] | undefined) ?? []) {
    const eq = f.indexOf('=');
    if (eq < 1) throw new UsageError(`--filter: expected name=value, got ${f}`);
    filters[f.slice(0, eq)] = f.slice(eq + 1);
  }
  let settings = taskSettings(values);
  let exportId = positionals[0]!;
  if (exportId.endsWith('.json')) {
    const doc = JSON.parse(await readFile(exportId, 'utf8')) as { _id?: string };
    settings = {
      ...settings,
      exportsFolder: exportId.slice(0, exportId.length - basename(exportId).length) || '.',
    };
    exportId = doc._id ?? exportId;
  }
  const logger = createLogger({ level: 'warn' });
  const services = await openTaskServices({ ...settings, endpoints: readEndpoints(), logger });
  const taskId = `cli-${randomUUID()}`;
  await services.status.create(taskId, 'export', domain, { export_id: exportId });
  const tty = process.stdout.isTTY;
  let last = '';
  const timer = setInterval(() => {
    void services.status.get(taskId).then((s) => {
      if (!s) return;
      const line = `${s.state} ${s.percent}% ${s.done}/${s.total ?? '?'}`;
      if (tty) process.stdout.write(`\r[${'#'.repeat(Math.floor(s.percent / 4)).padEnd(25)}] ${line}   `);
      else if (line !== last) console.log(line);
      last = line;
    });
  }, 500);
  try {
    const result = await runExportTask(
      { taskId, domain, exportId, filters },
      {
        ...services,
        pageSize: 1000,
        partBytes: 8 * 1024 * 1024,
        progressIntervalMs: 500,
        uploadAttempts: 3,
        uploadRetryDelayMs: 1000,
      },
      new AbortController().signal,
    );
    await services.status.finish(taskId, { file_key: result.fileKey });
    await pipeline(await services.s3.getObject(services.bucket, result.fileKey), createWriteStream(out));
    if (tty) process.stdout.write('\n');
    console.log(
      `${out}: ${result.bytes} bytes, ${result.documents} documents; rows ${Object.entries(result.rows)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`,
    );
    return 0;
  } catch (error) {
    if (tty) process.stdout.write('\n');
    console.error(`tributary export run: ${(error as Error).message}`);
    return ['ExportTaskError', 'ExportFilterError'].includes((error as Error).name) ? 2 : 1;
  } finally {
    clearInterval(timer);
    await services.close();
  }
}

export async function queueStatusLines(values: OptionValues = {}): Promise<string> {
  const counts = await queueCounts({
    redisUrl: readEndpoints().REDIS_URL,
    prefix: taskSettings(values).prefix,
  });
  return formatTable(
    ['QUEUE', 'WAITING', 'ACTIVE', 'FAILED', 'DELAYED'],
    counts.map((c) => [c.queue, String(c.waiting), String(c.active), String(c.failed), String(c.delayed)]),
  );
}

/** `tributary import cases`: posts the file to a server's import API and follows the task to its results. */
export async function importCasesCommand(file: string, values: OptionValues): Promise<number> {
  if (!values.mapping) throw new UsageError('--mapping M.json is required');
  if (!values.user || !values.password) throw new UsageError('--user and --password are required');
  const mapping = JSON.parse(await readFile(String(values.mapping), 'utf8')) as Record<string, unknown>;
  const form = new FormData();
  form.append('file', new Blob([await readFile(file)]), basename(file));
  const caseType = (values['case-type'] as string | undefined) ?? mapping.case_type;
  form.append('case_type', String(caseType));
  form.append('search_column', String((mapping.search_column as string | undefined) ?? 'case_id'));
  form.append('search_field', String((mapping.search_field as string | undefined) ?? 'case_id'));
  form.append('create_new_cases', mapping.create_new_cases === true ? 'true' : 'false');
  form.append('mapping', JSON.stringify(mapping.mapping ?? {}));
  const domain = String(values.domain);
  const base = String(values.url).replace(/\/$/, '');
  const authorization = `Basic ${Buffer.from(`${String(values.user)}:${String(values.password)}`).toString('base64')}`;
  const started = await fetch(`${base}/a/${domain}/imports/cases`, {
    method: 'POST',
    body: form,
    headers: { authorization },
  });
  const body = (await started.json()) as { task_id?: string; error?: string };
  if (!started.ok || !body.task_id) {
    console.error(`tributary import cases: ${started.status} ${body.error ?? ''}`);
    return started.status === 400 ? 2 : 1;
  }
  for (;;) {
    const status = (await (
      await fetch(`${base}/a/${domain}/imports/tasks/${body.task_id}`, { headers: { authorization } })
    ).json()) as {
      state: string;
      percent: number;
      error: string | null;
      details: Record<string, string>;
      results: { row: number; outcome: string; case_id: string | null; error: string | null }[];
    };
    if (status.state === 'done' || status.state === 'failed') {
      if (status.state === 'failed') {
        console.error(`tributary import cases: ${status.error}`);
        return 1;
      }
      console.log(
        formatTable(
          ['ROW', 'RESULT', 'CASE', 'WHY'],
          status.results.map((r) => [String(r.row), r.outcome, r.case_id ?? '', r.error ?? '']),
        ),
      );
      console.log(
        `${status.details.created} created, ${status.details.updated} updated, ${status.details.failed} failed`,
      );
      return Number(status.details.failed) > 0 ? 1 : 0;
    }
    console.log(`${status.state} ${status.percent}%`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
