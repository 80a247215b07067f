import { describe, expect, it } from 'vitest';
import { categoryOf, summariseProfile, type CpuProfile } from './cpuprofile-summary.js';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

// Samples every 1000 µs from t = 1000: idle, work, work, gc, work.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('runChunk', 'file:///repo/dist/runtime/engine/pipeline-runner.js') },
    { id: 4, callFrame: frame('(garbage collector)') },
  ],
  startTime: 0,
  endTime: 6000,
  samples: [2, 3, 3, 4, 3],
  timeDeltas: [1000, 1000, 1000, 1000, 1000],
};

describe('summariseProfile', () => {
  it('weighs each sample by the time to the next one and leaves idle out of the busy time', () => {
    const summary = summariseProfile(profile);
    expect(summary).toMatchObject({ sampledMs: 4, idleMs: 1, busyMs: 3 });
    expect(summary.top[0]).toMatchObject({
      name: 'runChunk',
      location: 'runtime/engine/pipeline-runner.js:1',
      category: 'tributary runtime',
      selfMs: 2,
    });
  });

  it('gives each function its total time, what it called included', () => {
    const nested: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('evaluate', 'file:///r/dist/commcare/ucr/x.js'), children: [3] },
        { id: 3, callFrame: frame('div', 'file:///r/node_modules/decimal.js/decimal.mjs') },
      ],
      startTime: 0,
      endTime: 4000,
      samples: [2, 3, 3, 2],
      timeDeltas: [1000, 1000, 1000, 1000],
    };
    const summary = summariseProfile(nested);
    expect(summary.topTotal.map((t) => [t.name, t.category, t.totalMs])).toEqual([
      ['evaluate', 'tributary commcare', 3],
      ['div', 'decimal.js', 2],
    ]);
  });

  it('counts only the samples inside the window', () => {
    expect(summariseProfile(profile, { window: { fromUs: 2500, toUs: 4500 } })).toMatchObject({
      sampledMs: 2,
      busyMs: 2,
    });
  });
});

describe('categoryOf', () => {
  it('names npm packages, scoped ones included, and Node core', () => {
    expect(categoryOf(frame('f', 'file:///r/node_modules/@platformatic/kafka/dist/x.js'))).toBe(
      '@platformatic/kafka',
    );
    expect(categoryOf(frame('f', 'file:///r/node_modules/pg-promise/lib/formatting.js'))).toBe('pg-promise');
    expect(categoryOf(frame('f', 'node:buffer'))).toBe('node core');
  });
});
