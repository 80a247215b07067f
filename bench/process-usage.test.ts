import { describe, expect, it } from 'vitest';
import { cpuPer100k, parseCpuSeconds, readProcessUsage } from './process-usage.js';

describe('process usage', () => {
  it('reads user + system time after the command name, even one with spaces and parentheses', () => {
    const stat = '4242 (node (worker) 1) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 31 0 0 20 0 11 0 123';
    expect(parseCpuSeconds(stat, 100)).toBe(2.81);
  });

  it('reads this very process from /proc: CPU seconds and a peak RSS', async () => {
    const usage = await readProcessUsage(process.pid);
    expect(usage?.cpuSeconds).toBeGreaterThan(0);
    expect(usage?.peakRssKiB).toBeGreaterThan(10_000);
  });

  it('states CPU per 100,000 records, and no figure without records', () => {
    expect(cpuPer100k(1.5, 50_000)).toBe(3);
    expect(cpuPer100k(1.5, 0)).toBeNaN();
  });
});
