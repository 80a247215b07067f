/**
 * `tributary run` as an operator's terminal drives it: Ctrl-C reaches the whole foreground process
 * group (here: a process group of the test's own, signalled with kill(-pid)), and an impatient
 * operator presses it again. Real broker, real database, the built bin.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { testNames } from '../support/resources.js';
import {
  createTopic,
  eventually,
  produceDocs,
  tableVersions,
  testDatabase,
  versionedDocs,
} from '../support/pipeline-fixtures.js';
import { writePipelineFile } from '../support/worker.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const started: number[] = [];

afterAll(async () => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

async function scenario(label: string, partitions: number, shutdownTimeoutMs = 20_000) {
  const topic = names.topic(label);
  const table = `${names.pgSchema()}.${label}`;
  await createTopic(topic, partitions);
  const file = writePipelineFile(`
name: ${names.id}-${label}
source:
  type: kafka
  topics: [${topic}]
  partitions: ${partitions}
  compact: false
  sessionTimeoutMs: 8000
  heartbeatIntervalMs: 1000
sinks:
  table: { type: postgres, table: ${table}, key: [doc_id], versionField: version, createTable: true }
delivery:
  maxBatchRecords: 50
  shutdownTimeoutMs: ${shutdownTimeoutMs}
`);
  return { topic, table, file };
}

/** `tributary run …` as the leader of a process group of its own, as a shell starts a job. */
function startRun(args: string[]) {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'run', ...args, '--port', '0'], {
    env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child.pid!);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; worker?: string; exitCode?: number; time?: string });
  return {
    exited,
    output: () => output,
    lines,
    /** What a terminal's Ctrl-C does: SIGINT to every process of the foreground group. */
    ctrlC: () => process.kill(-child.pid!, 'SIGINT'),
    /** A signal to the command's own process only (kill <pid>). */
    signal: (signal: NodeJS.Signals) => process.kill(child.pid!, signal),
  };
}

describe('tributary run and stop signals', () => {
  it(
    'drains both workers of --workers 2 on a terminal Ctrl-C and exits 0',
    { timeout: 120_000 },
    async () => {
      const s = await scenario('ctrlc', 4);
      await produceDocs(s.topic, versionedDocs(500, 2));
      const run = startRun([s.file, '--workers', '2']);
      const running = (worker: string) =>
        run.lines().some((l) => l.msg === 'Running.' && l.worker === worker);
      const both = await eventually(() => Promise.resolve(running('0') && running('1')), 60_000);
      expect({ both, output: run.output() }).toMatchObject({ both: true });
      expect(
        await eventually(async () => (await tableVersions(database.db, s.table)).size === 500, 60_000),
      ).toBe(true);

      // Let the group settle (both members own partitions, no rebalance for a second), as an
      // operator's Ctrl-C would come long after the start.
      const settled = await eventually(() => {
        const lines = run.lines();
        const assigned = new Set(lines.filter((l) => l.msg === 'Lanes assigned.').map((l) => l.worker));
        const last = lines.filter((l) => /^Lanes (assigned|revoked)/.test(l.msg)).at(-1);
        return Promise.resolve(
          assigned.size === 2 && last?.time !== undefined && Date.now() - Date.parse(last.time) > 1000,
        );
      }, 60_000);
      expect(settled).toBe(true);

      run.ctrlC();
      const exit = await run.exited;
      if (exit.code !== 0)
        throw new Error(`exit ${exit.code} (${exit.signal}); output:\n${run.output().slice(-4000)}`);
      const stopped = run.lines().filter((l) => l.msg === 'Stopped.');
      expect(stopped.map((l) => [l.worker, l.exitCode]).sort()).toEqual([
        ['0', 0],
        ['1', 0],
      ]);
      expect(run.output()).not.toMatch(/Exiting at once/);
    },
  );

  it(
    'ignores a second SIGINT during the drain with a log line, and exits at once on the third',
    { timeout: 120_000 },
    async () => {
      const s = await scenario('third', 1, 60_000);
      await produceDocs(s.topic, versionedDocs(20, 1));
      const run = startRun([s.file]);
      expect(
        await eventually(async () => (await tableVersions(database.db, s.table)).size === 20, 60_000),
      ).toBe(true);
      // Hold the table: the next batch's write waits on the lock, so the drain cannot finish.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = database.db.tx(async (t) => {
        await t.none('LOCK TABLE $1:raw IN ACCESS EXCLUSIVE MODE', [s.table]);
        locked();
        await released;
      });
      try {
        await isLocked;
        await produceDocs(s.topic, versionedDocs(20, 2, 2));
        // Wait until the write is waiting on the lock.
        expect(
          await eventually(async () => {
            const { n } = await database.db.one<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
              [`%${names.pgSchema()}%`],
            );
            return n > 0;
          }, 30_000),
        ).toBe(true);

        run.signal('SIGINT');
        expect(
          await eventually(
            () => Promise.resolve(run.output().includes('Stopping: finishing and committing')),
            10_000,
          ),
        ).toBe(true);
        run.signal('SIGINT');
        expect(
          await eventually(() => Promise.resolve(run.output().includes('Already stopping')), 10_000),
        ).toBe(true);
        // Still draining: the second signal did not end it.
        const early = await Promise.race([
          run.exited.then(() => 'exited'),
          new Promise((resolve) => setTimeout(() => resolve('running'), 1500)),
        ]);
        expect(early).toBe('running');

        const sentAt = Date.now();
        run.signal('SIGINT');
        const exit = await run.exited;
        expect(exit).toEqual({ code: 130, signal: null });
        expect(Date.now() - sentAt).toBeLessThan(5000);
        expect(run.output()).toContain('Exiting at once');
      } finally {
        release();
        await holder;
      }
    },
  );

  it(
    'says which group it joins, and that it waits when another member holds every partition',
    { timeout: 120_000 },
    async () => {
      const s = await scenario('waiting', 1);
      const run = startRun([s.file, '--workers', '2']);
      const said = (text: string) => run.lines().filter((l) => l.msg.startsWith(text)).length;
      expect(await eventually(() => Promise.resolve(said('Waiting for partitions') > 0), 60_000)).toBe(true);
      expect(said(`Joining consumer group ${names.id}-waiting for ${s.topic}`)).toBe(2);
      run.ctrlC();
      expect((await run.exited).code).toBe(0);
    },
  );
});
