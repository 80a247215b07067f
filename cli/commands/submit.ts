/**
 * `tributary submit <files…>` posts XForms to a receiver; `tributary submit --generate N` posts N
 * realistic forms of the built-in demo application from its seeded users, at a rate if asked.
 */
import { readEndpoints } from '../../connectors/endpoints.js';
import { demoUsers, generateSubmissions, type GeneratedSubmission } from '../demo-application.js';
import { seedDirectory } from '../demo-directory.js';
import { SubmissionClient, type SubmitResult } from '../submission-client.js';
import { numberOption, requiredOption, stringOption, UsageError, type CommandInput } from '../command.js';
import { readInputBytes } from '../input-file.js';

export async function submitCommand({ values, positionals, out }: CommandInput): Promise<number> {
  const domain = stringOption(values, 'domain')!;
  const count = numberOption(values, 'generate', { min: 1 });
  const rate = numberOption(values, 'rate', { above: 0, integer: false });
  const concurrency = numberOption(values, 'concurrency', { min: 1 })!;
  if (count === undefined && !positionals.length)
    throw new UsageError('give the form files to post, or --generate N');
  if (count !== undefined && positionals.length)
    throw new UsageError('give either form files or --generate N, not both');
  const credentials =
    count === undefined
      ? { username: requiredOption(values, 'user'), password: requiredOption(values, 'password') }
      : undefined;
  const forms = credentials ? await Promise.all(positionals.map((file) => readInputBytes(file))) : [];
  const client = new SubmissionClient(stringOption(values, 'url')!);
  try {
    if (count !== undefined) {
      const users = demoUsers(numberOption(values, 'users', { min: 1 })!, domain);
      await seedDirectory({ couchUrl: readEndpoints().COUCHDB_URL, domain, users });
      const summary = await postGenerated(client, {
        domain,
        count,
        concurrency,
        seed: numberOption(values, 'seed')!,
        users,
        ...(rate !== undefined ? { rate } : {}),
      });
      out(JSON.stringify(summary, null, 2));
      return summary.refused === 0 ? 0 : 1;
    }
    let refused = 0;
    for (const [i, file] of positionals.entries()) {
      const result = await client.submit(domain, forms[i]!, credentials!);
      if (result.status >= 300) refused++;
      out(`${file}: ${result.status} ${messageOf(result.body)}`);
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

/** \`tributary seed-demo\`: the demo domain and its users in CouchDB, for serve and curl. */
export async function seedDemoCommand({ values, out }: CommandInput): Promise<number> {
  const domain = stringOption(values, 'domain')!;
  const users = demoUsers(numberOption(values, 'users', { min: 1 })!, domain);
  const written = await seedDirectory({ couchUrl: readEndpoints().COUCHDB_URL, domain, users });
  out(`${written} documents written for domain ${domain}; users:`);
  for (const user of users) out(`  ${user.username}@${domain}.commcarehq.org  ${user.password}`);
  return 0;
}
