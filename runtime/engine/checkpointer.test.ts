import { describe, expect, it } from 'vitest';
import { Checkpointer } from './checkpointer.js';

describe('Checkpointer', () => {
  it('commits only the highest contiguous durable position', () => {
    const c = new Checkpointer();
    const a = c.begin('p0', '10');
    const b = c.begin('p0', '20');
    const d = c.begin('p0', '30');
    expect(c.complete(b)).toBeUndefined();
    expect(c.complete(a)).toBe('20');
    expect(c.complete(d)).toBe('30');
  });

  it('keeps lanes independent', () => {
    const c = new Checkpointer();
    const a = c.begin('p0', '5');
    const b = c.begin('p1', '7');
    expect(c.complete(b)).toBe('7');
    expect(c.inFlight('p0')).toBe(1);
    expect(c.complete(a)).toBe('5');
  });

  it('never commits past an abandoned batch', () => {
    const c = new Checkpointer();
    const a = c.begin('p0', '10');
    const b = c.begin('p0', '20');
    c.abandon(a);
    expect(c.inFlight('p0')).toBe(0);
    expect(() => c.complete(b)).toThrow(/unknown checkpoint ticket/);
  });

  it('resolves drained once the last in-flight batch of a lane completes', async () => {
    const c = new Checkpointer();
    const a = c.begin('p0', '1');
    let drained = false;
    const waiting = c.drained('p0').then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    c.complete(a);
    await waiting;
    expect(drained).toBe(true);
  });
});
