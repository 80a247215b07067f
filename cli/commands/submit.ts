/**
 * `tributary submit <files…>` posts XForms to a receiver; `tributary submit --generate N` posts N
 * realistic forms of the built-in demo application from its seeded users, at a rate if asked.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readEndpoints } from '../../connectors/endpoints.js';
import { demoUsers, generateSubmissions, type GeneratedSubmission } from '../demo-application.js';
import { seedDirectory } from '../demo-directory.js';
import { SubmissionClient, type SubmitResult } from '../submission-client.js';

export const submitUsage = `Usage: tributary submit <files.xml…> --user U --password P [--domain demo] [--url http://127.0.0.1:8000]
       tributary submit --generate N [--rate R per second] [--concurrency 8] [--domain demo] [--users 12] [--seed 42]

Posts forms to /a/<domain>/receiver as a device does (multipart, keep-alive, HTTP Basic). --generate
first seeds the domain, its users, groups and locations in CouchDB (COUCHDB_URL) when missing.
Prints one line per file, or a summary of a generated run (statuses, latency percentiles, rate).
Exit codes: 0 every form acknowledged, 1 some refused, 2 bad usage.`;

export async function submitCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        url: { type: 'string', default: process.env.TRIBUTARY_RECEIVER_URL ?? 'http://127.0.0.1:8000' },
        domain: { type: 'string', default: 'demo' },
        user: { type: 'string' },
        password: { type: 'string' },
        generate: { type: 'string' },
        rate: { type: 'string' },
        concurrency: { type: 'string', default: '8' },
        users: { type: 'string', default: '12' },
        seed: { type: 'string', default: '42' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${submitUsage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(submitUsage);
    return 0;
  }
  const client = new SubmissionClient(values.url);
  try {
    if (values.generate !== undefined) {
      const count = Number(values.generate);
      const rate = values.rate === undefined ? undefined : Number(values.rate);
      const concurrency = Number(values.concurrency);
      if (
        !Number.isInteger(count) ||
        count < 1 ||
        (rate !== undefined && !(rate > 0)) ||
        !(concurrency >= 1)
      ) {
        console.error(submitUsage);
        return 2;
      }
      const users = demoUsers(Number(values.users), values.domain);
      await seedDirectory({ couchUrl: readEndpoints().COUCHDB_URL, domain: values.domain, users });
      const summary = await postGenerated(client, {
        domain: values.domain,
        count,
        concurrency,
        seed: Number(values.seed),
        users,
        ...(rate !== undefined ? { rate } : {}),
      });
      console.log(JSON.stringify(summary, null, 2));
      return summary.refused === 0 ? 0 : 1;
    }
    if (!positionals.length || !values.user || !values.password) {
      console.error(submitUsage);
      return 2;
    }
    let refused = 0;
    for (const file of positionals) {
      const result = await client.submit(values.domain, await readFile(file), {
        username: values.user,
        password: values.password,
      });
      if (result.status >= 300) refused++;
      console.log(`${file}: ${result.status} ${messageOf(result.body)}`);
    }
    return refused === 0 ? 0 : 1;
  } finally {
    client.close();
  }
}

/** The text of an OpenRosa response's message, or the body itself. */
function messageOf(body: string): string {
  return /<message[^>]*>([\s\S]*?)<\/message>/.exec(body)?.[1]?.trim() ?? body.trim();
}

export interface GeneratedRun {
  domain: string;
  count: number;
  concurrency: number;
  seed: number;
  users: ReturnType<typeof demoUsers>;
  /** Forms per second to offer; as fast as possible when absent. */
  rate?: number;
  /** Called with every acknowledged form. */
  onResult?: (formId: string, result: SubmitResult) => void;
}

export interface RunSummary {
  submitted: number;
  acknowledged: number;
  refused: number;
  statuses: Record<string, number>;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  firstRefusal?: string;
}

/** Posts generated forms with `concurrency` in flight, paced to `rate` when given. */
export async function postGenerated(client: SubmissionClient, run: GeneratedRun): Promise<RunSummary> {
  const forms = generateSubmissions({ domain: run.domain, users: run.users, seed: run.seed });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let refused = 0;
  let firstRefusal: string | undefined;
  // With several forms in flight, a follow-up must not overtake the registration creating its case.
  const created = new Map<string, Promise<unknown>>();
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= run.count) return;
      if (run.rate) {
        const due = started + (index / run.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const form: GeneratedSubmission = forms.next().value;
      let done!: () => void;
      const acknowledged = new Promise<void>((resolve) => (done = resolve));
      const waits = form.caseIds
        .map((id: string) => created.get(id))
        .filter((p): p is Promise<unknown> => p !== undefined);
      if (form.kind === 'registration') for (const id of form.caseIds) created.set(id, acknowledged);
      await Promise.all(waits);
      let result: SubmitResult;
      try {
        result = await client.submit(run.domain, form.xml, {
          username: form.user.username,
          password: form.user.password,
        });
      } finally {
        done();
      }
      latencies.push(result.latencyMs);
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      if (result.status >= 300) {
        refused++;
        firstRefusal ??= `${result.status} ${messageOf(result.body)}`;
      } else run.onResult?.(form.formId, result);
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    submitted: run.count,
    acknowledged: run.count - refused,
    refused,
    statuses,
    seconds: round(seconds),
    perSecond: round(run.count / seconds),
    latencyMs: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(latencies.at(-1) ?? 0) },
    ...(firstRefusal ? { firstRefusal } : {}),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export const seedUsage = `Usage: tributary seed-demo [--domain demo] [--users 12]

Writes the demo domain, its mobile users (chw1…chwN, passwords demo-pass-1…N, API keys key-<user id>),
their groups, locations and the demo application to CouchDB (COUCHDB_URL), skipping what exists.`;

/** \`tributary seed-demo\`: the demo domain and its users in CouchDB, for serve and curl. */
export async function seedDemoCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        domain: { type: 'string', default: 'demo' },
        users: { type: 'string', default: '12' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${seedUsage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(seedUsage);
    return 0;
  }
  const count = Number(parsed.values.users);
  if (!Number.isInteger(count) || count < 1) {
    console.error(seedUsage);
    return 2;
  }
  const users = demoUsers(count, parsed.values.domain);
  const written = await seedDirectory({
    couchUrl: readEndpoints().COUCHDB_URL,
    domain: parsed.values.domain,
    users,
  });
  console.log(`${written} documents written for domain ${parsed.values.domain}; users:`);
  for (const user of users)
    console.log(`  ${user.username}@${parsed.values.domain}.commcarehq.org  ${user.password}`);
  return 0;
}
