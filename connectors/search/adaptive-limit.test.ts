import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from './adaptive-limit.js';

describe('the adaptive limit of requests in flight', () => {
  /** Sends a full round of requests at the current limit, all with the same outcome. */
  async function round(limit: AdaptiveLimit, overloaded: boolean): Promise<void> {
    const tickets = await Promise.all(Array.from({ length: limit.current }, () => limit.acquire()));
    for (const ticket of tickets) limit.release(ticket, overloaded);
  }

  it('halves once per round of overloaded requests, down to one, and grows back one per good round', async () => {
    const limit = new AdaptiveLimit(8);
    await round(limit, true);
    expect(limit.current).toBe(4);
    await round(limit, true);
    await round(limit, true);
    await round(limit, true);
    expect(limit.current).toBe(1);
    await round(limit, false);
    expect(limit.current).toBe(2);
    await round(limit, false);
    expect(limit.current).toBe(3);
    for (let i = 0; i < 20; i++) await round(limit, false);
    expect(limit.current).toBe(8);
  });

  it('makes requests beyond the limit wait for a place', async () => {
    const limit = new AdaptiveLimit(1);
    const ticket = await limit.acquire();
    let second = false;
    const waiting = limit.acquire().then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    limit.release(ticket, false);
    await waiting;
    expect(second).toBe(true);
  });
});
