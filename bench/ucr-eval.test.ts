import { describe, expect, it } from 'vitest';
import { ucrEvalScenario } from './ucr-eval.js';

describe('ucr-eval scenario', () => {
  it('measures compiled and interpreted throughput for every workload after checking they agree', async () => {
    process.env.BENCH_ROUND_MS = '10';
    const lines: string[] = [];
    const result = await ucrEvalScenario({ quick: true, log: (s) => lines.push(s) });
    delete process.env.BENCH_ROUND_MS;
    expect(Object.keys(result.ratios).sort()).toEqual(
      ['childVisits', 'householdRegister', 'members', 'openCasesByOwner', 'visitMedications'].map(
        (n) => `${n}.compiledToInterpreted`,
      ),
    );
    expect(result.figures['childVisits.compiled.documentsPerSecond']!.unit).toBe('documents/s');
    expect(lines).toHaveLength(5);
  }, 60_000);
});
