/**
 * The scenarios of `npm run bench`, in the order a full run takes them. To add one: write
 * `bench/<name>.ts` exporting `async function <name>Scenario(options: { quick, log, … })` that
 * returns a ScenarioResult (or any JSON: adapt-result.ts reads spreads and throughputs out of it),
 * add a line here, and a floor for its fair ratio in floors.json once you have measured it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adaptResult } from './adapt-result.js';
import { watchPeakRss } from './peak-rss.js';
import type { ScenarioResult } from './scenario-result.js';
import { ScenarioUnavailableError } from './scenario-unavailable-error.js';

export interface RunOptions {
  quick: boolean;
  profile: boolean;
  resultsDir: string;
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  summary: string;
  /** Run when no scenario is named (`npm run bench`, CI's `--quick`). */
  inDefaultRun: boolean;
  run(options: RunOptions): Promise<ScenarioResult>;
}

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const here = (file: string) => fileURLToPath(new URL(`./${file}`, import.meta.url));
const mib = (kib: number) => Math.round(kib / 1024);

/**
 * A scenario function exported by `dist/bench/<module>.js`, run in a child process (its peak RSS
 * is the child's `maxRSS`). A module that is not there yet (written by someone else, or still to
 * come) makes the scenario fail as unavailable, naming the file to write.
 */
function inChild(
  name: string,
  summary: string,
  module: string,
  exportName: string,
  inDefaultRun = true,
): Scenario {
  return {
    name,
    summary,
    inDefaultRun,
    run: async ({ quick, profile, resultsDir }) => {
      const file = here(`${module}.js`);
      // Both: a module deleted from bench/ must not run from a stale build.
      if (!existsSync(file) || !existsSync(join(repositoryRoot, 'bench', `${module}.ts`)))
        throw new ScenarioUnavailableError(
          `bench/${module}.ts does not exist yet: it should export ${exportName}(options: { quick, log }) (see bench/README.md)`,
        );
      const dir = await mkdtemp(join(tmpdir(), `bench-${name}-`));
      const output = join(dir, 'result.json');
      const started = performance.now();
      try {
        const proc = spawn(
          process.execPath,
          [
            here('scenario-child.js'),
            file,
            exportName,
            JSON.stringify({ quick, profile, resultsDir }),
            output,
          ],
          { stdio: ['ignore', 'inherit', 'inherit'], cwd: repositoryRoot },
        );
        const code = await new Promise<number | null>((done) => proc.on('close', done));
        const seconds = (performance.now() - started) / 1000;
        const report = JSON.parse(await readFile(output, 'utf8').catch(() => 'null')) as
          | { ok: true; result: unknown; maxRssKiB: number }
          | { ok: false; error: string; unavailable: boolean }
          | null;
        if (!report) throw new Error(`${name}: the scenario process exited with ${code} and no result`);
        if (!report.ok) {
          if (report.unavailable) throw new ScenarioUnavailableError(report.error);
          throw new Error(report.error);
        }
        const result = adaptResult(name, report.result, seconds);
        return { ...result, peakRssMiB: { scenario: mib(report.maxRssKiB), ...result.peakRssMiB } };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A stand-alone script printing its JSON on stdout; its peak RSS is sampled from /proc. */
function script(
  name: string,
  summary: string,
  quickEnv: Record<string, string>,
  inDefaultRun: boolean,
): Scenario {
  return {
    name,
    summary,
    inDefaultRun,
    run: async ({ quick }) => {
      // Smaller sizes for --quick, unless the caller set them.
      const env = { ...(quick ? quickEnv : {}), ...process.env };
      const started = performance.now();
      const proc = spawn(process.execPath, [here(`${name}.js`)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env,
        cwd: repositoryRoot,
      });
      const rss = watchPeakRss(proc.pid!);
      let out = '';
      proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const code = await new Promise<number | null>((done) => proc.on('close', done));
      const peaks = await rss.stop();
      if (code !== 0) throw new Error(`${name} exited with ${code}`);
      const result = adaptResult(name, JSON.parse(out) as unknown, (performance.now() - started) / 1000);
      const peak = peaks.get(proc.pid!);
      const peakRssMiB: Record<string, number> = peak ? { scenario: mib(peak) } : {};
      return { ...result, peakRssMiB };
    },
  };
}

export const scenarios: readonly Scenario[] = [
  inChild('serde', 'Avro vs JSON encode/decode of realistic forms and cases', 'serde', 'serdeScenario'),
  inChild('ucr-eval', 'UCR data source evaluation (bench/ucr-eval.ts)', 'ucr-eval', 'ucrEvalScenario'),
  inChild(
    'decimals',
    'exact decimals on scaled integers vs decimal.js: a million seeded cases checked, then timed',
    'decimals',
    'decimalsScenario',
  ),
  inChild(
    'sink-postgres',
    'postgres sink versioned upsert vs bare COPY (ceiling) and bare staging upsert (fair)',
    'sink-postgres',
    'sinkPostgresScenario',
  ),
  inChild(
    'ingest',
    'forms+cases on Kafka → UCR pipeline → PostgreSQL, 1 and 2 workers, vs a bare consumer',
    'ingest',
    'ingestScenario',
  ),
  inChild(
    'kafka-postgres',
    'tributary run kafka (JSON, Avro) → postgres sink vs a bare consume-COPY-upsert loop: CPU per record, peak RSS',
    'kafka-postgres',
    'kafkaPostgresScenario',
  ),
  inChild(
    'submission',
    'forms posted to the receiver (concurrency 32) until their changes are on Kafka, vs the same rows by a bare pg-promise loop',
    'submission',
    'submissionScenario',
  ),
  inChild(
    'submission-to-row',
    'receiver + relay + UCR: the max form rate, then POST-to-UCR-row latency at half that rate',
    'submission',
    'submissionToRowScenario',
  ),
  inChild(
    'rebuild',
    'UCR data sources built from 200,000 documents in the primary store vs a bare read-evaluate-COPY',
    'rebuild',
    'rebuildScenario',
  ),
  inChild(
    'search',
    'search pipeline bulk indexing vs a bare bulk loop, POST-to-found freshness, case search latency on 200,000 cases',
    'search',
    'searchScenario',
  ),
  inChild(
    'runtime',
    'framework overhead: bare consumer vs pipeline (noop, PostgreSQL), per Kafka client; sink write methods',
    'runtime',
    'runtimeScenario',
  ),
  inChild(
    'export',
    'a case export through the queue and a worker to xlsx and csv vs a bare read-write-upload loop; worker peak RSS; case import rows/s',
    'export',
    'exportScenario',
  ),
  inChild(
    'parallelism',
    'a stage waiting 5 ms per record on one partition, without and with parallelism by key (4, 16 in flight)',
    'parallelism',
    'parallelismScenario',
  ),
  inChild(
    'http-frameworks',
    'the same receiver-shaped route on our node:http core and on Fastify: requests/s and server CPU per request',
    'http-frameworks',
    'httpFrameworksScenario',
    false,
  ),
  script(
    'free-form',
    'carrying free-form form bodies and case properties in Avro',
    { BENCH_ROUND_MS: '100' },
    false,
  ),
  script(
    'kafka-clients',
    'produce and bare consume through both Kafka clients',
    { BENCH_MESSAGES: '50000', BENCH_ROUNDS: '1' },
    false,
  ),
];
