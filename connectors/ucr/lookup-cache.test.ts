import { describe, expect, it } from 'vitest';
import { LookupCache } from './lookup-cache.js';

describe('LookupCache', () => {
  it('drops the least recently used entries once the bytes exceed the budget', () => {
    const cache = new LookupCache({ entries: 100, bytes: 1_000, ttlMs: 60_000 });
    cache.set('a', 'A', 400);
    cache.set('b', 'B', 400);
    expect(cache.get('a')).toEqual({ value: 'A' });
    cache.set('c', 'C', 400);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual({ value: 'A' });
    expect(cache.get('c')).toEqual({ value: 'C' });
    expect(cache.bytes).toBe(800);
  });

  it('drops the oldest entries beyond the entry limit', () => {
    const cache = new LookupCache({ entries: 2, bytes: 1_000_000, ttlMs: 60_000 });
    cache.set('a', 1, 10);
    cache.set('b', 2, 10);
    cache.set('c', 3, 10);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.bytes).toBe(20);
  });

  it('keeps no value larger than the whole budget, and replaces a value counting its new size', () => {
    const cache = new LookupCache({ entries: 10, bytes: 100, ttlMs: 60_000 });
    cache.set('big', 'x', 101);
    expect(cache.get('big')).toBeUndefined();
    cache.set('a', 'small', 10);
    cache.set('a', 'larger', 60);
    expect(cache.bytes).toBe(60);
    expect(cache.get('a')).toEqual({ value: 'larger' });
  });

  it('forgets an entry once its time to live has passed', () => {
    let now = 1_000;
    const cache = new LookupCache({ entries: 10, bytes: 1_000, ttlMs: 500 }, () => now);
    cache.set('a', null, 4);
    expect(cache.get('a')).toEqual({ value: null });
    now += 500;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it('keeps nothing when the time to live or the entry limit is 0', () => {
    const off = new LookupCache({ entries: 0, bytes: 1_000, ttlMs: 500 });
    off.set('a', 1, 1);
    expect(off.get('a')).toBeUndefined();
    const noTtl = new LookupCache({ entries: 10, bytes: 1_000, ttlMs: 0 });
    noTtl.set('a', 1, 1);
    expect(noTtl.get('a')).toBeUndefined();
  });
});
