import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';

const prefix = testNames(import.meta.url).redisPrefix();
const redis = new Redis(readEndpoints().REDIS_URL, { keyPrefix: prefix, lazyConnect: true });

afterAll(async () => {
  const keys = await redis.keys('*'); // keyPrefix is not applied to KEYS patterns: filter ours
  const ours = keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  if (ours.length) await redis.del(...ours);
  redis.disconnect();
});

describe('Redis', () => {
  it('stores export progress in a hash and expires it', async () => {
    await redis.hset('export:42', { state: 'running', rows: '0' });
    await redis.hincrby('export:42', 'rows', 500);
    await redis.pexpire('export:42', 60_000);
    expect(await redis.hgetall('export:42')).toEqual({ state: 'running', rows: '500' });
    const ttl = await redis.pttl('export:42');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('runs a pipeline of commands in one round trip, in order', async () => {
    const results = await redis.pipeline().set('cache:a', '1').incr('cache:a').get('cache:a').exec();
    expect(results?.map(([error, value]) => [error, value])).toEqual([
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
  });
});
