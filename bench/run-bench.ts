/**
 * `npm run bench [-- <scenario…>] [--quick] [--json] [--no-profile]`: runs benchmark scenarios
 * against the local stack and writes one results file, bench/results/<timestamp>.json, with the
 * machine, the Node version, the commit and every scenario's figures (min/median/max over repeats,
 * ratios against a baseline measured in the same run). The same JSON goes to stdout; progress and
 * a short table go to stderr (only the JSON with --json). No scenario named: all of them.
 *
 * `runtime` runs in this process (bench/runtime.ts). The older stand-alone scripts (`serde`,
 * `free-form`, `kafka-clients`) run as child processes; their JSON output is taken in as it is.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, hostname, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runtimeScenario } from './runtime.js';

interface RunOptions {
  quick: boolean;
  profile: boolean;
  resultsDir: string;
  log: (line: string) => void;
}

interface Scenario {
  name: string;
  summary: string;
  run(options: RunOptions): Promise<unknown>;
}

/** A stand-alone bench script (prints its JSON on stdout), run with Node from dist/bench/. */
function script(name: string, summary: string, quickEnv: Record<string, string>): Scenario {
  return {
    name,
    summary,
    run: async ({ quick }) => {
      const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
      // Smaller sizes for --quick, unless the caller set them.
      const env = { ...(quick ? quickEnv : {}), ...process.env };
      const proc = spawn(process.execPath, [file], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env,
        cwd: repositoryRoot,
      });
      let out = '';
      proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const code = await new Promise<number | null>((done) => proc.on('close', done));
      if (code !== 0) throw new Error(`${name} exited with ${code}`);
      return JSON.parse(out) as unknown;
    },
  };
}

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

const scenarios: Scenario[] = [
  {
    name: 'runtime',
    summary:
      'framework overhead: bare consumer vs pipeline (noop, PostgreSQL), per Kafka client; sink write methods',
    run: (options) => runtimeScenario(options),
  },
  script('serde', 'Avro vs JSON encode/decode of realistic forms and cases', { BENCH_ROUND_MS: '100' }),
  script('free-form', 'carrying free-form form bodies and case properties in Avro', {
    BENCH_ROUND_MS: '100',
  }),
  script('kafka-clients', 'produce and bare consume through both Kafka clients', {
    BENCH_MESSAGES: '50000',
    BENCH_ROUNDS: '1',
  }),
];

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: repositoryRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function machine() {
  const cores = cpus();
  return {
    hostname: hostname(),
    os: `${osType()} ${release()}`,
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
  };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'no-profile': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const usage = () =>
    console.error(
      'usage: npm run bench [-- <scenario…>] [--quick] [--json] [--no-profile]\n\n' +
        scenarios.map((s) => `  ${s.name.padEnd(14)} ${s.summary}`).join('\n'),
    );
  if (values.help) {
    usage();
    return 0;
  }
  const unknown = positionals.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}`);
    usage();
    return 2;
  }
  const chosen = positionals.length ? scenarios.filter((s) => positionals.includes(s.name)) : scenarios;
  const resultsDir = join(repositoryRoot, 'bench', 'results');
  const log = values.json ? () => undefined : (line: string) => console.error(line);
  const options: RunOptions = { quick: values.quick, profile: !values['no-profile'], resultsDir, log };

  const at = new Date();
  const results: Record<string, unknown> = {};
  const failures: Record<string, string> = {};
  for (const scenario of chosen) {
    log(`== ${scenario.name}${values.quick ? ' (quick)' : ''}`);
    const started = performance.now();
    try {
      results[scenario.name] = await scenario.run(options);
      log(`== ${scenario.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      failures[scenario.name] = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`== ${scenario.name} failed: ${failures[scenario.name]}`);
    }
  }

  const commit = git(['rev-parse', 'HEAD']);
  const output = {
    at: at.toISOString(),
    quick: values.quick,
    machine: machine(),
    node: process.version,
    commit: commit ? { id: commit, dirty: Boolean(git(['status', '--porcelain'])) } : undefined,
    scenarios: results,
    ...(Object.keys(failures).length ? { failures } : {}),
  };
  const text = JSON.stringify(output, null, 2);
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${at.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${text}\n`);
  console.log(text);
  if (results.runtime) log(runtimeTable(results.runtime as RuntimeSummary));
  log(`results: ${file}`);
  return Object.keys(failures).length ? 1 : 0;
}

interface SpreadLike {
  min: number;
  median: number;
  max: number;
}

interface RuntimeSummary {
  clients: Record<
    string,
    Record<
      string,
      {
        bare: { recordsPerSecond: SpreadLike };
        pipeline: { recordsPerSecond: SpreadLike };
        ratio: SpreadLike;
        aim: number;
      }
    >
  >;
  sinkWriteMethods: { batchSizes: Record<string, { rowsPerSecond: Record<string, SpreadLike> }> };
}

/** The runtime figures as a few readable lines (median, with min–max). */
function runtimeTable(summary: RuntimeSummary): string {
  const fmt = (s: SpreadLike) => `${Math.round(s.median)} (${Math.round(s.min)}–${Math.round(s.max)})`;
  const lines = ['', 'runtime, records/s median (min–max):'];
  for (const [library, kinds] of Object.entries(summary.clients)) {
    for (const [kind, pair] of Object.entries(kinds)) {
      lines.push(
        `  ${library.padEnd(12)} ${kind.padEnd(8)} bare ${fmt(pair.bare.recordsPerSecond).padEnd(24)} ` +
          `pipeline ${fmt(pair.pipeline.recordsPerSecond).padEnd(24)} ratio ${pair.ratio.median} ` +
          `(${pair.ratio.min}–${pair.ratio.max}, aim ≥ ${pair.aim})`,
      );
    }
  }
  lines.push('PostgreSQL sink write methods, rows/s median (min–max):');
  for (const [batchSize, methods] of Object.entries(summary.sinkWriteMethods.batchSizes)) {
    lines.push(
      `  batch ${batchSize.padEnd(5)} ` +
        Object.entries(methods.rowsPerSecond)
          .map(([method, s]) => `${method} ${fmt(s)}`)
          .join('   '),
    );
  }
  return lines.join('\n');
}

process.exitCode = await main();
