/**
 * Exports under faults, against real servers: a worker SIGKILLed mid-export (the task is taken again
 * and the file is complete, no row missing or twice), S3 unreachable during the upload (retried,
 * then done in the same attempt), Redis killed and restarted mid-task (a private Redis with an
 * append-only file: the running and the queued task both finish), and a broken configuration (a
 * clear error at start; a queued task fails with that message in its status and on the page).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEndpoints, type Endpoints } from '../../connectors/endpoints.js';
import { taskPriorities } from '../../connectors/redis/task-queue.js';
import type { TaskStatus } from '../../connectors/redis/task-status.js';
import {
  exportsModule,
  openTaskServices,
  pagesModule,
  sessionAuthenticator,
  startTaskWorkers,
  type TaskServices,
} from '../../server/index.js';
import { parseCsv } from '../../server/imports/read-table-file.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { PrivateRedis } from '../support/private-redis.js';
import { startTestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { householdExportFolder, seedCases } from './export-fixtures.js';

const names = testNames(import.meta.url);
const domain = names.id.replace(/_/g, '-');
const caseCount = 30_000;
const logger = createLogger({ level: process.env.TRIBUTARY_TEST_LOG ?? 'silent' });
const open: { close(): Promise<void> }[] = [];

async function services(
  prefix: string,
  folder: string,
  endpoints: Endpoints = readEndpoints(),
  s3Endpoints?: Endpoints,
): Promise<TaskServices> {
  const tasks = await openTaskServices({
    endpoints,
    logger,
    prefix,
    exportsFolder: folder,
    exportsDatabase: 'commcarehq',
    usersDatabase: 'commcarehq__users',
    mainDatabase: 'commcarehq',
    ...(s3Endpoints ? { s3Endpoints } : {}),
  });
  open.push(tasks);
  return tasks;
}

async function queueExport(tasks: TaskServices, exportId = 'households'): Promise<string> {
  const taskId = randomUUID();
  await tasks.status.create(taskId, 'export', domain, { export_id: exportId });
  await tasks
    .queue('exports')
    .add(
      'export',
      { taskId, domain, exportId, filters: {} },
      { jobId: taskId, priority: taskPriorities.interactive },
    );
  return taskId;
}

/** Polls the status until `until` holds, keeping every percentage seen. */
async function watch(
  tasks: TaskServices,
  taskId: string,
  until: (s: TaskStatus) => boolean,
  timeoutMs: number,
  seen: number[] = [],
): Promise<TaskStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await tasks.status.get(taskId).catch(() => null);
    if (status) {
      seen.push(status.percent);
      if (until(status)) return status;
    }
    if (Date.now() > deadline)
      throw new Error(`task ${taskId} did not get there in ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function csvRowsOf(tasks: TaskServices, status: TaskStatus): Promise<string[][]> {
  const chunks: Buffer[] = [];
  for await (const chunk of await tasks.s3.getObject(tasks.bucket, status.details.file_key!))
    chunks.push(chunk as Buffer);
  const files = unzipSync(Buffer.concat(chunks));
  const [header, ...rows] = parseCsv(strFromU8(files['Cases.csv']!));
  expect(header).toEqual(['caseid', 'name', 'village', 'household_size', 'note', 'opened_on']);
  return rows;
}

function expectEveryCaseOnce(rows: string[][], prefix: string): void {
  const ids = rows.map((r) => r[0]!);
  expect(ids.length).toBe(caseCount);
  expect(new Set(ids).size).toBe(caseCount);
  expect(ids[0]).toBe(`${prefix}-0000001`);
  expect(ids[caseCount - 1]).toBe(`${prefix}-${String(caseCount).padStart(7, '0')}`);
}

function spawnWorker(prefix: string, folder: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      'dist/cli/main.js',
      'worker',
      '--queues',
      'exports',
      '--concurrency',
      '1',
      '--lock-ms',
      '3000',
      // Small pages keep a 30,000-case export running for seconds on an idle machine (at 100 it
      // finished in 0.7 s, before the test could kill it mid-way).
      '--page-size',
      '10',
      '--prefix',
      prefix,
      '--exports',
      folder,
    ],
    { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: 'ignore' },
  );
}

beforeAll(async () => {
  const tasks = await services(`${names.id}-seed`, householdExportFolder(domain, 'csv'));
  await seedCases(tasks.db, domain, caseCount, names.id);
}, 120_000);

afterAll(async () => {
  for (const o of open.reverse()) await o.close().catch(() => undefined);
});

describe('export faults', () => {
  it('finishes a complete file after its worker is SIGKILLed mid-export, without the bar going back', async () => {
    const prefix = `${names.id}-kill`;
    const folder = householdExportFolder(domain, 'csv');
    const tasks = await services(prefix, folder);
    const first = spawnWorker(prefix, folder);
    const taskId = await queueExport(tasks);
    const seen: number[] = [];
    await watch(tasks, taskId, (s) => s.state === 'running' && s.percent >= 15, 60_000, seen);
    first.kill('SIGKILL');
    const second = spawnWorker(prefix, folder);
    try {
      const done = await watch(
        tasks,
        taskId,
        (s) => s.state === 'done' || s.state === 'failed',
        120_000,
        seen,
      );
      expect(done.state).toBe('done');
      expect(done.attempt).toBeGreaterThanOrEqual(2);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      const rows = await csvRowsOf(tasks, done);
      expectEveryCaseOnce(rows, names.id);
      // Text a spreadsheet would run as a formula is neutralised in csv.
      expect(rows[4]![4]).toBe("'=1+5");
    } finally {
      second.kill('SIGTERM');
    }
  }, 240_000);

  it('retries the upload while S3 is unreachable and finishes in the same attempt', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(readEndpoints().S3_ENDPOINT).port || 80));
    await proxy.up();
    const endpoints = readEndpoints();
    const prefix = `${names.id}-s3`;
    const tasks = await services(prefix, householdExportFolder(domain, 'csv'), endpoints, {
      ...endpoints,
      S3_ENDPOINT: proxy.url,
    });
    const workers = startTaskWorkers(tasks, {
      queues: ['exports'],
      concurrency: 1,
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      pageSize: 500,
      partBytes: 5 * 1024 * 1024,
    });
    open.push(workers);
    const taskId = await queueExport(tasks);
    await watch(tasks, taskId, (s) => s.percent >= 10, 60_000);
    await proxy.down();
    await watch(tasks, taskId, (s) => s.state === 'uploading' && (s.details.error ?? '') === '', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await proxy.up();
    const done = await watch(tasks, taskId, (s) => s.state === 'done' || s.state === 'failed', 120_000);
    expect(done.state).toBe('done');
    expect(done.attempt).toBe(1);
    expectEveryCaseOnce(await csvRowsOf(tasks, done), names.id);
    await proxy.down();
  }, 240_000);

  it('finishes the running and the queued task when Redis is killed and restarted mid-task', async () => {
    const redis = new PrivateRedis();
    await redis.start();
    open.push({ close: () => redis.stop() });
    const endpoints = { ...readEndpoints(), REDIS_URL: redis.url };
    const tasks = await services(`${names.id}-redis`, householdExportFolder(domain, 'csv'), endpoints);
    const workers = startTaskWorkers(tasks, {
      queues: ['exports'],
      concurrency: 1,
      lockDurationMs: 10_000,
      stalledIntervalMs: 5_000,
      pageSize: 100,
      partBytes: 5 * 1024 * 1024,
    });
    open.push(workers);
    const running = await queueExport(tasks);
    const queued = await queueExport(tasks);
    await watch(tasks, running, (s) => s.state === 'running' && s.percent >= 10, 60_000);
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await redis.start();
    for (const taskId of [running, queued]) {
      const done = await watch(tasks, taskId, (s) => s.state === 'done' || s.state === 'failed', 180_000);
      expect(done.state).toBe('done');
      expectEveryCaseOnce(await csvRowsOf(tasks, done), names.id);
    }
  }, 300_000);

  it('refuses to start a broken configuration, and fails a queued task whose configuration broke with that message', async () => {
    const prefix = `${names.id}-broken`;
    const folder = householdExportFolder(domain, 'csv');
    const settings = {
      prefix,
      exportsFolder: folder,
      exportsDatabase: 'commcarehq',
      usersDatabase: 'commcarehq__users',
      mainDatabase: 'commcarehq',
    };
    const receiver = await startTestReceiver(names, {
      modules: [exportsModule(settings), pagesModule(settings)],
      authenticator: sessionAuthenticator(settings),
    });
    open.push(receiver);
    const tasks = await services(prefix, folder);
    const file = join(folder, 'households.json');
    const good = readFileSync(file, 'utf8');
    const broken = JSON.parse(good) as { tables: { columns: { item: Record<string, unknown> }[] }[] };
    broken.tables[0]!.columns[0]!.item.transform = 'owner_to_name';
    const user = receiver.users[0]!;
    const basic = {
      authorization: `Basic ${Buffer.from(`${user.username}@${receiver.domain}.commcarehq.org:${user.password}`).toString('base64')}`,
    };

    // Queued while good, broken before any worker takes it.
    const taskId = await queueExport(tasks);
    writeFileSync(file, JSON.stringify({ ...broken, domain: receiver.domain }));
    const refused = await fetch(`${receiver.service.url}/a/${receiver.domain}/exports/households/start`, {
      method: 'POST',
      headers: basic,
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: string }).error).toContain(
      'tables[0].columns[0].item.transform',
    );

    writeFileSync(file, JSON.stringify(broken));
    const workers = startTaskWorkers(tasks, {
      queues: ['exports'],
      concurrency: 1,
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      pageSize: 100,
      partBytes: 5 * 1024 * 1024,
    });
    open.push(workers);
    const failed = await watch(tasks, taskId, (s) => s.state === 'failed' || s.state === 'done', 60_000);
    expect(failed.state).toBe('failed');
    expect(failed.attempt).toBe(1);
    expect(failed.error).toContain('tables[0].columns[0].item.transform');

    // The page lists the configuration with the same message.
    writeFileSync(file, JSON.stringify({ ...broken, domain: receiver.domain }));
    const login = await fetch(`${receiver.service.url}/a/${receiver.domain}/login`);
    const csrfCookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const token = /name="csrf" value="([^"]+)"/.exec(await login.text())![1]!;
    const session = await fetch(`${receiver.service.url}/a/${receiver.domain}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, username: user.username, password: user.password }),
    });
    expect(session.status).toBe(303);
    const cookie = session.headers
      .getSetCookie()
      .find((c) => c.startsWith('tributary_session='))!
      .split(';')[0]!;
    const page = await (
      await fetch(`${receiver.service.url}/a/${receiver.domain}/exports/`, { headers: { cookie } })
    ).text();
    expect(page).toContain('This configuration cannot be used');
    expect(page).toContain('tables[0].columns[0].item.transform');
    // A POST on a session without its CSRF token is refused.
    const forged = await fetch(`${receiver.service.url}/a/${receiver.domain}/exports/households/start`, {
      method: 'POST',
      headers: { cookie },
    });
    expect(forged.status).toBe(403);
  }, 120_000);
});
