/**
 * The `decimals` scenario: the scaled-decimal fast paths of the UCR value model
 * (commcare/ucr/values/scaled-decimal.ts) checked against decimal.js on a million seeded cases
 * (200,000 with --quick) — the same generator as the property test in `npm test`, ten times as
 * many — and timed against decimal.js on the same operations: parse both operands, operate, and
 * format the result as a table stores it. Any case where they differ fails the scenario.
 */
import { decimalText } from '../commcare/ucr/compile/stored-value.js';
import {
  checkDecimalCase,
  decimalCases,
  fastResult,
  referenceResult,
  type DecimalCase,
} from '../commcare/ucr/values/decimal-cases.js';
import { scaledFixedText } from '../commcare/ucr/values/scaled-decimal.js';
import { measureRoundsWithCpu } from './measure.js';
import type { ScenarioResult } from './scenario-result.js';
import { figure, ratioOf, round3 } from './spread.js';

const seed = 20261203;

export async function decimalsScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const started = performance.now();
  const count = Number(process.env.BENCH_DECIMAL_CASES ?? (options.quick ? 200_000 : 1_000_000));
  let fast = 0;
  const mismatches: string[] = [];
  const checkStarted = performance.now();
  for (const c of decimalCases(seed + 1, count)) {
    const check = checkDecimalCase(c);
    if (check.fast) fast++;
    if (check.mismatch) mismatches.push(check.mismatch);
  }
  const checkSeconds = (performance.now() - checkStarted) / 1000;
  options.log(
    `decimals: ${count} cases checked in ${checkSeconds.toFixed(1)} s, ${fast} on the fast path, ${mismatches.length} differ`,
  );
  if (mismatches.length)
    throw new Error(
      `${mismatches.length} of ${count} cases differ from decimal.js, e.g.:\n${mismatches.slice(0, 10).join('\n')}`,
    );

  // The same 10,000 cases (those the fast path takes, no division by zero), each side end to end.
  const sample: DecimalCase[] = [];
  for (const c of decimalCases(seed + 2, 20_000))
    if (fastResult(c) !== undefined && sample.length < 10_000) sample.push(c);
  const n = sample.length;
  const measured = await measureRoundsWithCpu(
    {
      scaled: (i) => scaledFixedText(fastResult(sample[i % n]!)!, 16),
      decimalJs: (i) => decimalText(referenceResult(sample[i % n]!)!),
    },
    { roundMs: options.quick ? 150 : 300, rounds: options.quick ? 5 : 9 },
  );
  return {
    scenario: 'decimals',
    figures: {
      'scaled.operationsPerSecond': figure(measured.wall.scaled, 'operations/s'),
      'decimalJs.operationsPerSecond': figure(measured.wall.decimalJs, 'operations/s'),
      'scaled.operationsPerCpuSecond': figure(measured.cpu.scaled, 'operations/CPU s'),
      'decimalJs.operationsPerCpuSecond': figure(measured.cpu.decimalJs, 'operations/CPU s'),
      'check.casesPerSecond': figure([count / checkSeconds], 'cases/s'),
    },
    ratios: {
      scaledToDecimalJs: ratioOf(
        measured.cpu.scaled,
        measured.cpu.decimalJs,
        'scaled.operationsPerCpuSecond',
        'decimalJs.operationsPerCpuSecond',
      ),
    },
    headline: ['scaled.operationsPerSecond', 'decimalJs.operationsPerSecond'],
    peakRssMiB: {},
    seconds: round3((performance.now() - started) / 1000),
    setup: { cases: count, fastPathCases: fast, seed: seed + 1, timedCases: n },
    details: {
      note:
        'Every case: both operands parsed, one of + − × ÷, the result in decimal.js form and as stored text, compared ' +
        'with decimal.js (precision 28, ROUND_HALF_EVEN). Timed: parse, operate and format the stored text, scaled ' +
        'integers against decimal.js, per CPU second, round by round.',
    },
  };
}
