/**
 * Daily saved exports (a job scheduler per export builds its file; the latest file is downloaded at
 * once) and the task status in Redis (progress never shown going backwards across a restart).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { TaskStatusStore } from '../../connectors/redis/task-status.js';
import {
  exportsModule,
  openTaskServices,
  scheduleDailyExports,
  startTaskWorkers,
  type TaskServices,
} from '../../server/index.js';
import { latestDailyExport } from '../../server/exports/daily-exports.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { eventually } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { householdExportFolder, seedCases } from './export-fixtures.js';

const names = testNames(import.meta.url);
const domain = names.id.replace(/_/g, '-');
const folder = householdExportFolder(domain, 'csv', 'daily-households');
const settings = {
  prefix: names.id,
  exportsFolder: folder,
  exportsDatabase: 'commcarehq',
  usersDatabase: 'commcarehq__users',
  mainDatabase: 'commcarehq',
};
let tasks: TaskServices;
let receiver: TestReceiver;
let workers: { close(): Promise<void> };

beforeAll(async () => {
  const file = join(folder, 'daily-households.json');
  writeFileSync(
    file,
    JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), is_daily_saved_export: true }),
  );
  receiver = await startTestReceiver(names, { modules: [exportsModule(settings)] });
  tasks = await openTaskServices({
    ...settings,
    endpoints: readEndpoints(),
    logger: createLogger({ level: 'silent' }),
  });
  await seedCases(tasks.db, domain, 500, names.id);
  workers = startTaskWorkers(tasks, {
    queues: ['exports'],
    concurrency: 1,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    pageSize: 100,
    partBytes: 5 * 1024 * 1024,
  });
}, 120_000);

afterAll(async () => {
  await workers?.close();
  await tasks
    ?.queue('exports')
    .removeJobScheduler(`daily:${domain}:daily-households`)
    .catch(() => undefined);
  await tasks?.close();
  await receiver?.close();
});

describe('daily saved exports', () => {
  it('builds the file on its schedule and serves the latest one with its build time', async () => {
    const user = receiver.users[0]!;
    const headers = {
      authorization: `Basic ${Buffer.from(`${user.username}@${domain}.commcarehq.org:${user.password}`).toString('base64')}`,
    };
    const url = `${receiver.service.url}/a/${domain}/exports/daily-households/download`;
    expect((await fetch(url, { headers })).status).toBe(404);
    expect(await scheduleDailyExports(tasks, 2_000)).toContain(`daily:${domain}:daily-households`);
    expect(
      await eventually(
        async () => (await latestDailyExport(tasks, domain, 'daily-households')) !== null,
        60_000,
      ),
    ).toBe(true);
    const first = (await latestDailyExport(tasks, domain, 'daily-households'))!;
    expect(first.rows).toEqual({ Cases: 500 });
    const response = await fetch(url, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect((await response.arrayBuffer()).byteLength).toBe(first.bytes);
    // The schedule rebuilds it: a later build replaces the file and its time.
    expect(
      await eventually(
        async () => (await latestDailyExport(tasks, domain, 'daily-households'))!.builtAt > first.builtAt,
        60_000,
      ),
    ).toBe(true);
  }, 150_000);
});

describe('task status', () => {
  it('shows a restarted task as restarting at its earlier percentage until the new attempt passes it', async () => {
    const status = new TaskStatusStore(tasks.redis, `${names.id}-status:`);
    await status.create('t1', 'export', domain);
    expect(await status.begin('t1')).toBe(1);
    await status.progress('t1', 60, 100, 57);
    expect(await status.begin('t1')).toBe(2);
    expect(await status.progress('t1', 10, 100, 9)).toBe(false);
    expect(await status.get('t1')).toMatchObject({ state: 'restarting', percent: 57, done: 60, attempt: 2 });
    expect(await status.progress('t1', 70, 100, 66)).toBe(true);
    expect(await status.get('t1')).toMatchObject({ state: 'running', percent: 66, done: 70 });
  });
});
