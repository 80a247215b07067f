/**
 * The `submission` scenario: generated forms of the demo application posted to the receiver (run
 * as `tributary serve` with the relay pipeline, a child process) over keep-alive connections at
 * concurrency 32 until every one is acknowledged; then the wait until the last change is on the
 * forms and cases topics. Baseline in the same run: the same rows (form, cases, outbox) written by
 * a bare pg-promise loop, one transaction per form, at the same concurrency, no HTTP, no parsing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { postGenerated } from '../cli/commands/submit.js';
import { demoUsers, generateSubmissions, type DemoUser } from '../cli/demo-application.js';
import { seedDirectory } from '../cli/demo-directory.js';
import { SubmissionClient } from '../cli/submission-client.js';
import { readEndpoints } from '../connectors/endpoints.js';
import { defaultKafkaLibrary, kafkaClient } from '../connectors/kafka/kafka-resources.js';
import { pgp } from '../connectors/postgres/postgres-pool.js';
import { applyCaseBlocks } from '../commcare/xform/case-apply.js';
import { caseIdsOf, extractCaseBlocks } from '../commcare/xform/case-blocks.js';
import { parseXForm } from '../commcare/xform/xform-parse.js';
import { primaryStoreTables } from '../connectors/postgres/primary-store.js';
import { ResourcePool } from '../runtime/engine/resources.js';
import type { Case } from '../schemas/generated/index.js';
import {
  cpuPer100k,
  ownCpuSeconds,
  readStackCpu,
  treeCpuSeconds,
  watchProcessTree,
} from './process-usage.js';
import type { ScenarioResult } from './scenario-result.js';
import { figure, ratioOf } from './spread.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const primaryForms = primaryStoreTables.forms;
const primaryCases = primaryStoreTables.cases;
const primaryCaseIndices = primaryStoreTables.caseIndices;
const primaryCaseTransactions = primaryStoreTables.caseTransactions;
const concurrency = 32;
/**
 * `tributary serve --processes`: BENCH_RECEIVER_PROCESSES, 1 by default (the receiver and its
 * pipelines in one process, as the floors were set). On this shared 2-core machine a second
 * receiver process was slower, not faster (bench/README.md, the receiver on every core); set it
 * to the cores of a machine where the servers run elsewhere.
 */
const receiverProcesses = Number(process.env.BENCH_RECEIVER_PROCESSES ?? 1);

interface Options {
  quick: boolean;
  log: (line: string) => void;
}

interface ReceiverChild {
  process: ChildProcess;
  url: string;
}

/** `tributary serve` with the given pipelines in a child process, on its own outbox and topics. */
async function startReceiver(
  id: string,
  pipelines: string[],
  env: Record<string, string>,
): Promise<ReceiverChild> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      'dist/cli/main.js',
      'serve',
      ...pipelines,
      '--port',
      String(port),
      '--blobs',
      's3',
      '--metrics-port',
      '0',
      '--outbox-table',
      `${id}.outbox`,
      '--outbox-channel',
      `${id}_outbox`,
      '--processes',
      String(receiverProcesses),
    ],
    {
      cwd: repositoryRoot,
      env: {
        ...process.env,
        OUTBOX_TABLE: `${id}.outbox`,
        OUTBOX_CHANNEL: `${id}_outbox`,
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, 60_000);
  return { process: child, url };
}

export async function submissionScenario({ quick, log }: Options): Promise<ScenarioResult> {
  const started = performance.now();
  const count = Number(process.env.BENCH_SUBMISSIONS ?? (quick ? 1500 : 20_000));
  const id = `bench_sub_${randomBytes(3).toString('hex')}`;
  const domain = id.replace(/_/g, '-');
  const endpoints = readEndpoints();
  const users = demoUsers(16, domain);
  await seedDirectory({ couchUrl: endpoints.COUCHDB_URL, domain, users });
  const topics = { forms: `${id}.forms`, cases: `${id}.cases` };
  const db = pgp({ connectionString: endpoints.DATABASE_URL, max: concurrency });
  const resources = new ResourcePool();
  try {
    // The receiver, its relay in the same process, as an operator runs them.
    log(`submission: ${count} forms to a receiver (domain ${domain})`);
    await db.none('CREATE SCHEMA IF NOT EXISTS $1:name', [id]);
    const receiver = await startReceiver(id, ['pipelines/examples/submissions-to-kafka.yaml'], {
      FORMS_TOPIC: topics.forms,
      CASES_TOPIC: topics.cases,
    });
    const watch = watchProcessTree(receiver.process.pid!);
    // Every process of the receiver: with --processes N, the primary (relay, accepting) and its N.
    const receiverCpu = async () => treeCpuSeconds(await watch.sample());
    let summary;
    let lastChangeSeconds: number;
    let receiverCpuSeconds: number;
    let receiverStack: Record<'postgres' | 'minio' | 'client' | 'machine', number>;
    try {
      const client = new SubmissionClient(receiver.url, concurrency);
      const cpuStarted = await receiverCpu();
      const stackBefore = await readStackCpu();
      const clientBefore = ownCpuSeconds();
      summary = await postGenerated(client, { domain, count, concurrency, seed: 7, users });
      client.close();
      // While forms were posted: what each server and the load generator spent per form.
      const stackAfter = await readStackCpu();
      receiverStack = {
        postgres: cpuPer100k(stackAfter.postgres - stackBefore.postgres, count),
        minio: cpuPer100k(stackAfter.minio - stackBefore.minio, count),
        client: cpuPer100k(ownCpuSeconds() - clientBefore, count),
        machine: cpuPer100k(stackAfter.machine - stackBefore.machine, count),
      };
      const acknowledgedAt = performance.now();
      if (summary.refused)
        throw new Error(`the receiver refused ${summary.refused} forms: ${summary.firstRefusal}`);
      const expected = expectedChanges(count, domain, users);
      const admin = await (
        await kafkaClient(resources, defaultKafkaLibrary, [...endpoints.KAFKA_BROKERS])
      ).admin();
      try {
        for (;;) {
          const onTopics = (await endOf(admin, topics.forms)) + (await endOf(admin, topics.cases));
          if (onTopics >= expected) break;
          if (performance.now() - acknowledgedAt > 600_000)
            throw new Error(`only ${onTopics} of ${expected} changes reached the topics`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await admin.close();
      }
      lastChangeSeconds = (performance.now() - acknowledgedAt) / 1000;
      // Receiving and relaying every form, until the last change is on its topic.
      receiverCpuSeconds = (await receiverCpu()) - cpuStarted;
    } finally {
      await stop(receiver.process);
    }
    const receiverRss = new Map([...(await watch.stop())].map(([pid, u]) => [pid, u.peakRssKiB] as const));

    log('submission: baseline, the same rows through a bare pg-promise loop');
    const bare = await bareInserts(db, id, count, domain, users);
    const receiverRate = summary.perSecond;
    return {
      scenario: 'submission',
      figures: {
        'receiver.submissionsPerSecond': figure([receiverRate], 'submissions/s'),
        'receiver.p50Ms': figure([summary.latencyMs.p50], 'ms'),
        'receiver.p95Ms': figure([summary.latencyMs.p95], 'ms'),
        'receiver.p99Ms': figure([summary.latencyMs.p99], 'ms'),
        'receiver.lastChangeOnTopicSeconds': figure([lastChangeSeconds], 's'),
        'bare.submissionsPerSecond': figure([bare.perSecond], 'submissions/s'),
        'bare.p99Ms': figure([bare.p99Ms], 'ms'),
        'receiver.cpuSecondsPer100k': figure([cpuPer100k(receiverCpuSeconds, count)], 'CPU s/100k'),
        'bare.cpuSecondsPer100k': figure([bare.cpuSecondsPer100k], 'CPU s/100k'),
        ...Object.fromEntries(
          Object.entries(receiverStack).map(([who, value]) => [
            `receiver.${who}CpuSecondsPer100k`,
            figure([Math.round(value * 10) / 10], 'CPU s/100k'),
          ]),
        ),
        'bare.postgresCpuSecondsPer100k': figure([bare.postgresCpuSecondsPer100k], 'CPU s/100k'),
        'bare.machineCpuSecondsPer100k': figure([bare.machineCpuSecondsPer100k], 'CPU s/100k'),
      },
      ratios: {
        'receiver/bare': ratioOf(
          [receiverRate],
          [bare.perSecond],
          'receiver.submissionsPerSecond',
          'bare.submissionsPerSecond',
        ),
      },
      peakRssMiB: { receiver: Math.round(Math.max(0, ...receiverRss.values()) / 1024) },
      cpuSecondsPer100k: {
        receiver: figure([cpuPer100k(receiverCpuSeconds, count)], '').median,
        bare: bare.cpuSecondsPer100k,
      },
      headline: ['receiver.submissionsPerSecond', 'receiver.p99Ms', 'bare.submissionsPerSecond'],
      seconds: (performance.now() - started) / 1000,
      setup: {
        submissions: count,
        concurrency,
        users: users.length,
        blobs: 's3',
        relay: 'same process',
        receiverProcesses,
      },
    };
  } finally {
    await dropBenchObjects(db, resources, id, topics, domain);
    await db.$pool.end();
    await resources.close();
  }
}

/** How many change events the run puts on the topics: one per form, one per case a form touches. */
function expectedChanges(count: number, domain: string, users: DemoUser[]): number {
  const forms = generateSubmissions({ domain, users, seed: 7 });
  let changes = 0;
  for (let i = 0; i < count; i++) changes += 1 + forms.next().value.caseIds.length;
  return changes;
}

/**
 * The rows the receiver writes for the same forms, computed before timing (parsing and case logic
 * are not what the baseline measures), then written with pg-promise: one transaction per form with
 * the form, its cases (locked first) and its outbox rows.
 */
async function bareInserts(
  db: ReturnType<typeof pgp>,
  schema: string,
  count: number,
  domain: string,
  users: DemoUser[],
): Promise<{
  perSecond: number;
  p99Ms: number;
  cpuSecondsPer100k: number;
  postgresCpuSecondsPer100k: number;
  machineCpuSecondsPer100k: number;
}> {
  await db.none(
    `
    CREATE TABLE $1:name.forms (form_id text PRIMARY KEY, domain text, xmlns text, state text, version bigint, event jsonb);
    CREATE TABLE $1:name.cases (case_id text PRIMARY KEY, domain text, case_type text, version bigint, event jsonb);
    CREATE TABLE $1:name.bare_outbox (id bigserial PRIMARY KEY, topic text, doc_id text, version bigint, payload jsonb)`,
    [schema],
  );
  const forms = generateSubmissions({ domain, users, seed: 7 });
  const state = new Map<string, Case>();
  const work: { form: Record<string, unknown>; cases: Case[] }[] = [];
  for (let i = 0; i < count; i++) {
    const submission = forms.next().value;
    const parsed = parseXForm(submission.xml);
    const blocks = extractCaseBlocks(parsed.root);
    const applied = applyCaseBlocks(state, blocks, {
      domain,
      formId: submission.formId,
      serverNowMs: Date.now(),
      formUserId: parsed.metadata.userID,
      formTimeEndMs: null,
    });
    if (!applied.ok) throw applied.error;
    for (const [caseId, next] of applied.cases) state.set(caseId, next);
    const form = {
      doc_id: submission.formId,
      xmlns: parsed.xmlns,
      version: 1,
      case_ids: caseIdsOf(blocks),
      form: parsed.form,
    };
    work.push({ form, cases: [...applied.cases.values()] });
  }
  const latencies: number[] = [];
  let next = 0;
  const begun = performance.now();
  const cpuBegun = ownCpuSeconds();
  const stackBegun = await readStackCpu();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const item = work[next++];
        if (!item) return;
        const t0 = performance.now();
        await db.tx(async (t) => {
          const ids = item.cases.map((c) => c.doc_id).sort();
          if (ids.length)
            await t.any('SELECT case_id FROM $1:name.cases WHERE case_id IN ($2:csv) FOR UPDATE', [
              schema,
              ids,
            ]);
          await t.none('INSERT INTO $1:name.forms VALUES ($2, $3, $4, $5, 1, $6:json)', [
            schema,
            item.form.doc_id,
            domain,
            item.form.xmlns,
            'normal',
            item.form,
          ]);
          for (const c of item.cases) {
            await t.none(
              `INSERT INTO $1:name.cases VALUES ($2, $3, $4, $5, $6:json)
               ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, event = excluded.event`,
              [schema, c.doc_id, domain, c.case_type, c.version, c],
            );
          }
          const rows = [
            { topic: 'forms', doc_id: item.form.doc_id, version: 1, payload: JSON.stringify(item.form) },
            ...item.cases.map((c) => ({
              topic: 'cases',
              doc_id: c.doc_id,
              version: c.version,
              payload: JSON.stringify(c),
            })),
          ];
          await t.none(
            pgp.helpers.insert(
              rows,
              ['topic', 'doc_id', 'version', 'payload'],
              new pgp.helpers.TableName({ schema, table: 'bare_outbox' }),
            ),
          );
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - begun) / 1000;
  const cpuSeconds = ownCpuSeconds() - cpuBegun;
  const stackEnded = await readStackCpu();
  latencies.sort((a, b) => a - b);
  return {
    postgresCpuSecondsPer100k:
      Math.round(cpuPer100k(stackEnded.postgres - stackBegun.postgres, count) * 10) / 10,
    machineCpuSecondsPer100k:
      Math.round(cpuPer100k(stackEnded.machine - stackBegun.machine, count) * 10) / 10,
    perSecond: Math.round((count / seconds) * 10) / 10,
    p99Ms: Math.round((latencies[Math.floor(latencies.length * 0.99)] ?? 0) * 10) / 10,
    cpuSecondsPer100k: Math.round(cpuPer100k(cpuSeconds, count) * 10) / 10,
  };
}

async function endOf(
  admin: { topicOffsets(topic: string): Promise<{ high: string }[]> },
  topic: string,
): Promise<number> {
  const offsets = await admin.topicOffsets(topic).catch(() => []);
  return offsets.reduce((sum, o) => sum + Number(o.high), 0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * The `submission-to-row` scenario: the receiver with the relay and the UCR pipeline in one
 * process. First the most forms per second it acknowledges at concurrency 32; then forms offered
 * at half that rate, each follow-up visit timed from its POST until its rows are in the
 * visit_medications table (`inserted_at`, set by the sink's transaction). The baseline is the bare
 * pg-promise loop of the `submission` scenario.
 */
export async function submissionToRowScenario({ quick, log }: Options): Promise<ScenarioResult> {
  const started = performance.now();
  const maxCount = Number(process.env.BENCH_SUBMISSIONS ?? (quick ? 600 : 5000));
  const paced = Math.max(100, Math.round(maxCount / 2));
  const id = `bench_row_${randomBytes(3).toString('hex')}`;
  const domain = id.replace(/_/g, '-');
  const endpoints = readEndpoints();
  const users = demoUsers(16, domain);
  await seedDirectory({ couchUrl: endpoints.COUCHDB_URL, domain, users });
  const topics = { forms: `${id}.forms`, cases: `${id}.cases` };
  const dir = await mkdtemp(join(tmpdir(), 'bench-row-'));
  const configFolder = join(dir, 'ucr');
  await mkdir(configFolder);
  for (const file of (await readdir(join(repositoryRoot, 'pipelines/ucr'))).filter((f) =>
    f.endsWith('.json'),
  )) {
    const config = JSON.parse(await readFile(join(repositoryRoot, 'pipelines/ucr', file), 'utf8')) as object;
    await writeFile(join(configFolder, file), JSON.stringify({ ...config, domain }));
  }
  const ucrFile = join(dir, 'ucr.yaml');
  await writeFile(
    ucrFile,
    (await readFile(join(repositoryRoot, 'pipelines/examples/ucr-to-postgres.yaml'), 'utf8'))
      .replace(/^name: .*$/m, `name: ${id}_ucr`)
      .replace('topics: [forms, cases]', `topics: ['${topics.forms}', '${topics.cases}']`),
  );
  const db = pgp({ connectionString: endpoints.DATABASE_URL, max: concurrency });
  const view = `"tributary_ucr"."${domain}_visit_medications"`;
  const resources = new ResourcePool();
  try {
    await db.none('CREATE SCHEMA IF NOT EXISTS $1:name', [id]);
    log(
      `submission-to-row: ${maxCount} forms at concurrency ${concurrency}, then ${paced} at half that rate`,
    );
    const receiver = await startReceiver(id, ['pipelines/examples/submissions-to-kafka.yaml', ucrFile], {
      FORMS_TOPIC: topics.forms,
      CASES_TOPIC: topics.cases,
      UCR_CONFIG_FOLDER: configFolder,
    });
    const watch = watchProcessTree(receiver.process.pid!);
    // Every process of the receiver: with --processes N, the primary (relay, accepting) and its N.
    const receiverCpu = async () => treeCpuSeconds(await watch.sample());
    let max;
    let latencies: number[] = [];
    let pacedSummary;
    let maxCpuSeconds: number;
    try {
      const client = new SubmissionClient(receiver.url, concurrency);
      const cpuStarted = await receiverCpu();
      max = await postGenerated(client, { domain, count: maxCount, concurrency, seed: 11, users });
      // The process while the forms are posted at the max rate (its relay and UCR pipeline work meanwhile).
      maxCpuSeconds = (await receiverCpu()) - cpuStarted;
      if (max.refused) throw new Error(`the receiver refused ${max.refused} forms: ${max.firstRefusal}`);
      const postedAt = new Map<string, number>();
      const rate = Math.max(5, max.perSecond / 2);
      pacedSummary = await postGenerated(client, {
        domain,
        count: paced,
        concurrency,
        seed: 12,
        users,
        rate,
        onResult: (formId, result) => postedAt.set(formId, Date.now() - result.latencyMs),
      });
      client.close();
      // Forms that produce visit_medications rows: follow-ups with at least one medication.
      const formIds = [...postedAt.keys()];
      let landed: { doc_id: string; at: number }[] = [];
      const deadline = Date.now() + 300_000;
      for (;;) {
        landed = await db
          .any<{ doc_id: string; at: number }>(
            `SELECT doc_id, extract(epoch FROM min(inserted_at)) * 1000 AS at FROM ${view} WHERE doc_id IN ($1:csv) GROUP BY doc_id`,
            [formIds],
          )
          .catch(() => []);
        const expected = await db.one<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${primaryForms} WHERE form_id IN ($1:csv)
             AND xmlns = 'http://tributary.dev/demo/followup-visit' AND event->'form'->'medications' ? 'medication'`,
          [formIds],
        );
        if (landed.length >= expected.n && expected.n > 0) break;
        if (Date.now() > deadline)
          throw new Error(`only ${landed.length} of ${expected.n} forms reached their table`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      latencies = landed.map((row) => Number(row.at) - postedAt.get(row.doc_id)!);
    } finally {
      await stop(receiver.process);
    }
    const receiverRss = new Map([...(await watch.stop())].map(([pid, u]) => [pid, u.peakRssKiB] as const));
    log('submission-to-row: baseline, the same rows through a bare pg-promise loop');
    const bare = await bareInserts(db, id, maxCount, domain, users);
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return {
      scenario: 'submission-to-row',
      figures: {
        'receiver.maxSubmissionsPerSecond': figure([max.perSecond], 'submissions/s'),
        'paced.offeredPerSecond': figure([pacedSummary.perSecond], 'submissions/s'),
        'paced.submitP99Ms': figure([pacedSummary.latencyMs.p99], 'ms'),
        'toRow.p50Ms': figure([at(0.5)], 'ms'),
        'toRow.p95Ms': figure([at(0.95)], 'ms'),
        'toRow.p99Ms': figure([at(0.99)], 'ms'),
        'bare.submissionsPerSecond': figure([bare.perSecond], 'submissions/s'),
        'receiver.maxCpuSecondsPer100k': figure([cpuPer100k(maxCpuSeconds, maxCount)], 'CPU s/100k'),
      },
      ratios: {
        'receiver/bare': ratioOf(
          [max.perSecond],
          [bare.perSecond],
          'receiver.maxSubmissionsPerSecond',
          'bare.submissionsPerSecond',
        ),
      },
      peakRssMiB: { receiver: Math.round(Math.max(0, ...receiverRss.values()) / 1024) },
      headline: ['receiver.maxSubmissionsPerSecond', 'toRow.p99Ms', 'bare.submissionsPerSecond'],
      seconds: (performance.now() - started) / 1000,
      setup: {
        maxCount,
        paced,
        timedForms: latencies.length,
        concurrency,
        pipelines: 'relay + ucr in the receiver process',
      },
    };
  } finally {
    await dropBenchObjects(db, resources, id, topics, domain);
    await db.$pool.end();
    await resources.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes what a run created: its schema, topics, UCR tables and primary-store rows. */
async function dropBenchObjects(
  db: ReturnType<typeof pgp>,
  resources: ResourcePool,
  id: string,
  topics: { forms: string; cases: string },
  domain: string,
): Promise<void> {
  await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [id]).catch(() => undefined);
  await db
    .none(
      `DELETE FROM ${primaryCaseTransactions} WHERE form_id IN (SELECT form_id FROM ${primaryForms} WHERE domain = $1);
       DELETE FROM ${primaryCaseIndices} WHERE case_id IN (SELECT case_id FROM ${primaryCases} WHERE domain = $1);
       DELETE FROM ${primaryForms} WHERE domain = $1;
       DELETE FROM ${primaryCases} WHERE domain = $1`,
      [domain],
    )
    .catch(() => undefined);
  const admin = await (
    await kafkaClient(resources, defaultKafkaLibrary, [...readEndpoints().KAFKA_BROKERS])
  ).admin();
  await admin.deleteTopics([topics.forms, topics.cases]).catch(() => undefined);
  await admin.close();
}
