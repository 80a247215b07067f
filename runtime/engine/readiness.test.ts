import { describe, expect, it } from 'vitest';
import { ReadinessTracker } from './readiness.js';

describe('ReadinessTracker', () => {
  it('reports a failing dependency with its first failure time until one of its calls succeeds', () => {
    const readiness = new ReadinessTracker();
    readiness.fail("sink 'table'", new Error('connect ECONNREFUSED'));
    const [first] = readiness.reasons();
    readiness.fail("sink 'table'", new Error('connection terminated'));
    expect(readiness.reasons()).toHaveLength(1);
    expect(readiness.reasons()[0]).toMatch(/^sink 'table' is failing since .*: connection terminated$/);
    expect(readiness.reasons()[0]!.split(': ')[0]).toBe(first!.split(': ')[0]);
    readiness.succeed("sink 'table'");
    expect(readiness.reasons()).toEqual([]);
  });

  it('reports a refused lane until it is released, and a blocked component until it unblocks', () => {
    const readiness = new ReadinessTracker();
    readiness.refuseLane('docs:0', 'committed offset 10 is below the log start 60');
    readiness.block("sink 'reports'", 'no usable data source');
    expect(readiness.reasons()).toEqual([
      "sink 'reports' is not ready: no usable data source",
      'lane docs:0 refused: committed offset 10 is below the log start 60',
    ]);
    readiness.releaseLane('docs:0');
    readiness.block("sink 'reports'", undefined);
    expect(readiness.reasons()).toEqual([]);
  });
});
