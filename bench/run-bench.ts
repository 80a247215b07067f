/**
 * `npm run bench [-- <scenario…>] [--quick] [--json] [--no-profile]`: runs the benchmark scenarios
 * (bench/scenarios.ts) against the local stack. Every run writes bench/results/<timestamp>.json
 * (machine, Node version, commit, every figure as min/median/max over repeats, every ratio against
 * a baseline measured in the same run, peak RSS), appends one line to bench/results/history.jsonl,
 * and checks the ratios against bench/floors.json. The same JSON goes to stdout; progress, a
 * summary and the floors go to stderr (only the JSON with --json).
 *
 * Exit status: 1 when a ratio is below its floor (or a CPU ratio or peak RSS above its ceiling) in
 * the median of the scenario's repeats and again when that scenario runs a second time to confirm
 * it (`--no-confirm` skips the second run), or a scenario with floors broke before giving them; 2
 * for a usage error; 0 otherwise. A scenario that cannot run yet is reported as an error without
 * failing the build; absolute times never fail it.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, freemem, hostname, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  checkFloors,
  describeFloorCheck,
  failsBuild,
  needsConfirmation,
  type Floors,
  type ScenarioError,
} from './check-floors.js';
import { historyLine } from './history-line.js';
import { isUnavailable } from './scenario-unavailable-error.js';
import type { BenchRun, ScenarioResult } from './scenario-result.js';
import { repositoryRoot, scenarios, type RunOptions } from './scenarios.js';
import { summaryTable } from './summary-table.js';

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

function machine(): BenchRun['machine'] {
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
      'no-confirm': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const usage = () =>
    console.error(
      'usage: npm run bench [-- <scenario…>] [--quick] [--json] [--no-profile] [--no-confirm]\n\n' +
        scenarios
          .map((s) => `  ${s.name.padEnd(18)} ${s.summary}${s.inDefaultRun ? '' : ' (only when named)'}`)
          .join('\n'),
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
  const chosen = positionals.length
    ? scenarios.filter((s) => positionals.includes(s.name))
    : scenarios.filter((s) => s.inDefaultRun);
  const resultsDir = join(repositoryRoot, 'bench', 'results');
  const log = values.json ? () => undefined : (line: string) => console.error(line);
  const options: RunOptions = { quick: values.quick, profile: !values['no-profile'], resultsDir, log };
  const floors = JSON.parse(await readFile(join(repositoryRoot, 'bench', 'floors.json'), 'utf8')) as Floors;

  const at = new Date();
  const results: Record<string, ScenarioResult> = {};
  const errors: Record<string, ScenarioError> = {};
  const runOne = async (scenario: (typeof chosen)[number], label: string) => {
    log(`== ${scenario.name}${values.quick ? ' (quick)' : ''}${label}`);
    const started = performance.now();
    try {
      const result = await scenario.run(options);
      log(`== ${scenario.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return result;
    } catch (error) {
      const message = isUnavailable(error)
        ? (error as Error).message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
      console.error(
        `== ${scenario.name} ERROR${isUnavailable(error) ? ' (cannot run yet)' : ''}: ${message}`,
      );
      return { message, unavailable: isUnavailable(error) } satisfies ScenarioError;
    }
  };
  for (const scenario of chosen) {
    const outcome = await runOne(scenario, '');
    if ('scenario' in outcome) results[scenario.name] = outcome;
    else errors[scenario.name] = outcome;
  }

  // A floor or ceiling missed in the first run fails only when a second run confirms it.
  const names = chosen.map((s) => s.name);
  const confirmations: Record<string, ScenarioResult> = {};
  if (!values['no-confirm']) {
    const suspects = new Set(
      checkFloors(floors, names, results, errors)
        .filter(needsConfirmation)
        .map((c) => c.scenario),
    );
    for (const scenario of chosen.filter((s) => suspects.has(s.name))) {
      const outcome = await runOne(scenario, ', again: a floor or ceiling was missed in the first run');
      if ('scenario' in outcome) confirmations[scenario.name] = outcome;
    }
  }

  const commit = git(['rev-parse', 'HEAD']);
  const run: BenchRun = {
    at: at.toISOString(),
    quick: values.quick,
    machine: machine(),
    node: process.version,
    ...(commit ? { commit: { id: commit, dirty: Boolean(git(['status', '--porcelain'])) } } : {}),
    chosen: names,
    scenarios: results,
    errors,
    ...(Object.keys(confirmations).length ? { confirmations } : {}),
    floors: checkFloors(floors, names, results, errors, confirmations),
  };
  const text = JSON.stringify(run, null, 2);
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${run.at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${text}\n`);
  await appendFile(join(resultsDir, 'history.jsonl'), historyLine(run, floors));
  console.log(text);

  log(summaryTable(run));
  for (const [name, error] of Object.entries(errors))
    log(`ERROR ${name}${error.unavailable ? ' (cannot run yet)' : ''}: ${error.message.split('\n')[0]}`);
  if (run.floors.length) log(`floors (bench/floors.json, median ratio vs same-run baseline):`);
  for (const check of run.floors) log(`  ${describeFloorCheck(check)}`);
  log(`results: ${file}\nhistory: ${join(resultsDir, 'history.jsonl')}`);
  const failed = run.floors.filter(failsBuild);
  if (failed.length) console.error(`${failed.length} floor(s) failed`);
  return failed.length ? 1 : 0;
}

process.exitCode = await main();
