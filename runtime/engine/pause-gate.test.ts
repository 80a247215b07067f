import { describe, expect, it } from 'vitest';
import { PauseGate } from './pause-gate.js';

describe('PauseGate', () => {
  it('lets batches through at once while not paused', async () => {
    expect(await new PauseGate().pass(() => true)).toBe(true);
  });

  it('holds a batch while paused and lets it through on resume', async () => {
    const gate = new PauseGate();
    gate.pause();
    let passed: boolean | undefined;
    const waiting = gate.pass(() => true, 5).then((ok) => (passed = ok));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(passed).toBeUndefined();
    gate.resume();
    await waiting;
    expect(passed).toBe(true);
    expect(gate.paused).toBe(false);
  });

  it('drops a held batch once its lane is no longer wanted (revoked, stopping)', async () => {
    const gate = new PauseGate();
    gate.pause();
    let wanted = true;
    const waiting = gate.pass(() => wanted, 5);
    wanted = false;
    expect(await waiting).toBe(false);
    expect(gate.paused).toBe(true);
  });
});
