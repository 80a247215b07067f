/**
 * The admin API and the metrics of a running worker (`tributary run`, the built CLI): status,
 * pause and resume (consumption stops, the group membership stays), dead letters, the token, and
 * every metric the alert rules and the dashboard name is exported.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testNames } from '../support/resources.js';
import { freePort } from '../support/free-port.js';
import {
  createTopic,
  eventually,
  produce,
  produceDocs,
  tableVersions,
  testDatabase,
  versionedDocs,
} from '../support/pipeline-fixtures.js';
import { writePipelineFile, type Worker } from '../support/worker.js';

interface AdminStatus {
  pipeline: string;
  group: string;
  lag: number;
  members: unknown[];
  partitions: unknown[];
  worker: { paused: boolean; ready: boolean };
}

const names = testNames(import.meta.url);
const database = await testDatabase();
const topic = names.topic('docs');
const table = `${names.pgSchema()}.docs`;
const pipeline = `${names.id}-admin`;
const token = `token-${names.id}`;
const KEYS = 200;
let worker: Worker;
let taskWorker: Worker | undefined;
let base: string;

function startProcess(args: string[], env: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, ['dist/cli/main.js', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { process: child, output: () => output, exited, kill: (s) => (child.kill(s), Date.now()) };
}

const admin = (path: string, init: RequestInit = {}, bearer = token) =>
  fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${bearer}` } });
const statusOf = async () => (await (await admin(`/pipelines/${pipeline}`)).json()) as AdminStatus;
const metricValue = async (name: string) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`pipeline="${pipeline}"`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};
const versions = () => tableVersions(database.db, table);

beforeAll(async () => {
  await createTopic(topic, 3);
  await produceDocs(topic, versionedDocs(KEYS, 1));
  await produce(topic, [{ key: 'bad', value: 'not json' }]);
  const file = writePipelineFile(`
name: ${pipeline}
source: { type: kafka, topics: [${topic}], partitions: 3, compact: false, value: { format: json } }
sinks:
  table: { type: postgres, table: ${table}, key: [doc_id], versionField: version, createTable: true }
deadLetter: { table: true }
delivery: { maxBatchRecords: 50, shutdownTimeoutMs: 10000 }
`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  worker = startProcess(['run', file, '--port', String(port)], { TRIBUTARY_ADMIN_TOKEN: token });
  const converged = await eventually(async () => (await versions()).size === KEYS, 60_000);
  if (!converged) throw new Error(`the worker did not converge:\n${worker.output().slice(-3000)}`);
}, 90_000);

afterAll(async () => {
  worker?.kill('SIGTERM');
  taskWorker?.kill('SIGTERM');
  await worker?.exited;
  await taskWorker?.exited;
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

describe('admin API of a running worker', () => {
  it('refuses requests without the token, or with a wrong one', async () => {
    expect((await fetch(`${base}/pipelines`)).status).toBe(401);
    expect((await admin('/pipelines', {}, 'wrong')).status).toBe(401);
    expect((await admin('/pipelines/nope')).status).toBe(404);
  });

  it('lists the pipelines with the status model and this worker’s view', async () => {
    const list = (await (await admin('/pipelines')).json()) as AdminStatus[];
    expect(list.map((s) => s.pipeline)).toEqual([pipeline]);
    const status = await statusOf();
    expect(status).toMatchObject({
      pipeline,
      group: pipeline,
      lag: 0,
      worker: { paused: false, ready: true },
    });
    expect(status.members).toHaveLength(1);
    expect(status.partitions).toHaveLength(3);
  });

  it('pauses consumption while keeping the group membership, and resumes it', async () => {
    expect((await admin(`/pipelines/${pipeline}/pause`, { method: 'POST' })).status).toBe(200);
    await produceDocs(topic, versionedDocs(KEYS, 2, 2));
    // Nothing of version 2 is written while paused; the lag shows all of it, in records and in seconds.
    const lagged = await eventually(async () => (await statusOf()).lag === KEYS, 20_000);
    expect(lagged).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect([...(await versions()).values()].every((v) => v === 1n)).toBe(true);
    const status = await statusOf();
    expect(status.worker.paused).toBe(true);
    expect(status.members).toHaveLength(1);
    expect(await metricValue('tributary_pipeline_paused')).toBe(1);
    expect(
      await eventually(async () => ((await metricValue('tributary_consumer_lag_seconds')) ?? 0) >= 1, 10_000),
    ).toBe(true);

    expect((await admin(`/pipelines/${pipeline}/resume`, { method: 'POST' })).status).toBe(200);
    const caughtUp = await eventually(
      async () => [...(await versions()).values()].filter((v) => v === 2n).length === KEYS,
      30_000,
    );
    expect(caughtUp).toBe(true);
    expect(await eventually(async () => (await statusOf()).lag === 0, 20_000)).toBe(true);
    expect(await metricValue('tributary_pipeline_paused')).toBe(0);
  });

  it('lists the dead letters of the pipeline with their original bytes', async () => {
    const letters = (await (await admin(`/pipelines/${pipeline}/dead-letters`)).json()) as {
      record_value: string;
    }[];
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ pipeline, stage: 'decode' });
    expect(Buffer.from(letters[0]!.record_value, 'base64').toString()).toBe('not json');
  });

  it('feeds `tributary status --admin-url` from the running process', async () => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'status', '--admin-url', base, '--json'], {
      env: { ...process.env, TRIBUTARY_ADMIN_TOKEN: token },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect((JSON.parse(out) as { pipeline: string }[]).map((s) => s.pipeline)).toEqual([pipeline]);
  });
});

describe('monitoring', () => {
  /** Metric names in PromQL: tributary_*, process_* and nodejs_* (label names and functions are not). */
  const metricsIn = (exprs: string[]) =>
    new Set(
      exprs.flatMap((e) => [...e.matchAll(/\b((?:tributary|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!)),
    );

  let taskWorkerBase = '';
  beforeAll(async () => {
    const port = await freePort();
    taskWorkerBase = `http://127.0.0.1:${port}`;
    // The task worker (exports, imports) on queues of this test's own prefix.
    taskWorker = startProcess(['worker', '--port', String(port), '--prefix', names.id], {});
    const up = await eventually(
      async () => (await fetch(`${taskWorkerBase}/healthz`).catch(() => undefined))?.ok === true,
      30_000,
    );
    if (!up) throw new Error(`tributary worker did not serve /healthz:\n${taskWorker.output().slice(-2000)}`);
  }, 60_000);

  it('exports every metric the alert rules and the dashboard use (pipeline and task workers)', async () => {
    const rules = parse(readFileSync('deploy/monitoring/alerts.yaml', 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const dashboard = JSON.parse(readFileSync('deploy/monitoring/grafana-dashboard.json', 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const used = metricsIn([
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ]);
    const scraped = [
      await (await fetch(`${base}/metrics`)).text(),
      await (await fetch(`${taskWorkerBase}/metrics`)).text(),
    ].join('\n');
    const exported = new Set(
      [...scraped.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [name!, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!],
      ),
    );
    expect(used.size).toBeGreaterThan(12);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});
