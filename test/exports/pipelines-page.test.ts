/**
 * The operators' pipelines page in Chromium: a pipeline with a backlog shows, per partition, the lag
 * that `tributary status --json` reports for the same pipeline file, and the task queues.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinesStatusProvider } from '../../cli/commands/pipelines-status.js';
import { registry } from '../../cli/registry.js';
import { tributary } from '../../cli/tributary.js';
import { loadPipelineFile } from '../../runtime/config/index.js';
import { pagesModule, sessionAuthenticator } from '../../server/index.js';
import { produceDocs, versionedDocs } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';
import { writePipelineFile } from '../support/worker.js';

const names = testNames(import.meta.url);
const topic = names.topic('docs');
const file = writePipelineFile(`
name: ${names.id}
source: { type: kafka, topics: ["${topic}"], partitions: 3 }
sinks:
  nothing: { type: noop }
`);
const artifacts = join(import.meta.dirname, '..', 'artifacts');
let receiver: TestReceiver;
let context: BrowserContext;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  expect((await tributary(['topics', 'ensure', file])).code).toBe(0);
  await produceDocs(topic, versionedDocs(40, 3));
  const loaded = await loadPipelineFile(file, registry);
  if (!loaded.ok) throw new Error('the pipeline file is invalid');
  const settings = {
    prefix: names.id,
    exportsFolder: tmpdir(),
    exportsDatabase: 'commcarehq',
    usersDatabase: 'commcarehq__users',
    mainDatabase: 'commcarehq',
  };
  receiver = await startTestReceiver(names, {
    modules: [pagesModule(settings, { pipelineStatus: pipelinesStatusProvider([loaded.plan]) })],
    authenticator: sessionAuthenticator(settings),
  });
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tributary-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await receiver?.close();
});

describe('the pipelines page', () => {
  it('shows the lag per partition that tributary status --json reports', async () => {
    const json = JSON.parse(
      execFileSync(process.execPath, ['dist/cli/main.js', 'status', file, '--json'], { encoding: 'utf8' }),
    ) as {
      lag: number;
      partitions: { topic: string; partition: number; lag: number }[];
    }[];
    expect(json[0]!.lag).toBe(120);
    const page = await context.newPage();
    const user = receiver.users[0]!;
    await page.goto(`${receiver.service.url}/a/${receiver.domain}/pipelines/`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/pipelines\/$/);
    const shown: Record<string, number> = {};
    for (const cell of await page.locator('td[data-lag]').all())
      shown[(await cell.getAttribute('data-lag'))!] = Number(await cell.textContent());
    expect(shown).toEqual(
      Object.fromEntries(json[0]!.partitions.map((p) => [`${p.topic}:${p.partition}`, p.lag])),
    );
    expect(await page.locator('[data-total-lag]').textContent()).toBe('120');
    await expect.poll(() => page.getByRole('cell', { name: 'exports', exact: true }).count()).toBe(1);
    await page.screenshot({ path: join(artifacts, 'pipelines.png'), fullPage: true });
  });
});
