/**
 * Failed authentications are throttled per username and per client address, in Redis: after N
 * failures in a window every attempt is a 429 with Retry-After (the right password too), logged;
 * a success clears its user's count; two receiver processes share the counts. The client address
 * is set with X-Forwarded-For (the servers trust it here), so one test machine can be many clients.
 */
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoUsers } from '../../cli/demo-application.js';
import { seedDirectory } from '../../cli/demo-directory.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { serverSettings, startServer, type RunningServer } from '../../server/index.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const domain = names.id.replace(/_/g, '-');
const users = demoUsers(4, domain);
const hello = () => ({
  name: 'hello',
  routes: [
    {
      method: 'GET' as const,
      path: '/a/:domain/hello',
      access: 'domain-user' as const,
      summary: 'Says hello to a user of the domain.',
      handle: ({ res }: { res: ServerResponse }) => {
        res.end('hello');
        return Promise.resolve();
      },
    },
  ],
});
let logged = '';
const servers: RunningServer[] = [];

beforeAll(async () => {
  await seedDirectory({ couchUrl: readEndpoints().COUCHDB_URL, domain, users });
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  // Two processes' worth of servers on one Redis: the counts must be shared.
  for (let i = 0; i < 2; i++)
    servers.push(
      await startServer({
        endpoints: readEndpoints(),
        logger: createLogger({ level: 'warn', destination }),
        port: 0,
        host: '127.0.0.1',
        blobs: { folder: `/tmp/${names.id}-blobs` },
        modules: [hello],
        settings: serverSettings({
          TRIBUTARY_AUTH_USER_MAX_FAILURES: 5,
          TRIBUTARY_AUTH_USER_WINDOW_SECONDS: 3,
          TRIBUTARY_AUTH_ADDRESS_MAX_FAILURES: 8,
          TRIBUTARY_AUTH_ADDRESS_WINDOW_SECONDS: 60,
          TRIBUTARY_TRUST_FORWARDED_FOR: true,
        }),
        redisKeyPrefix: names.redisPrefix(),
      }),
    );
}, 60_000);

afterAll(async () => {
  for (const server of servers) await server.close();
});

let clients = 0;
/** A client address of its own for each test, so the per-address count is the test's own. */
const newAddress = () => `198.51.100.${++clients}`;

async function attempt(
  server: RunningServer,
  username: string,
  password: string,
  address: string,
): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const response = await fetch(`${server.url}/a/${domain}/hello`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      'x-forwarded-for': `203.0.113.99, ${address}`,
    },
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.text(),
  };
}

describe('failed authentications', () => {
  it('lock a username after 5 failures: 429 with Retry-After, the right password too, on every server', async () => {
    const user = users[0]!;
    for (let i = 0; i < 5; i++)
      expect((await attempt(servers[i % 2]!, user.username, 'wrong', newAddress())).status).toBe(401);
    for (const server of servers) {
      const locked = await attempt(server, user.username, user.password, newAddress());
      expect(locked.status).toBe(429);
      expect(Number(locked.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(locked.retryAfter)).toBeLessThanOrEqual(3);
      expect(locked.body).toMatch(/Too many failed sign-in attempts for this user/);
    }
    expect(logged).toContain('Too many failed authentications for this username');
    // Another user is not affected.
    expect((await attempt(servers[0]!, users[1]!.username, users[1]!.password, newAddress())).status).toBe(
      200,
    );
  });

  it('unlock the username when its window ends', async () => {
    const user = users[2]!;
    for (let i = 0; i < 5; i++) await attempt(servers[0]!, user.username, 'wrong', newAddress());
    expect((await attempt(servers[0]!, user.username, user.password, newAddress())).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    expect((await attempt(servers[1]!, user.username, user.password, newAddress())).status).toBe(200);
  });

  it('count from zero again after a success, which is not slowed', async () => {
    const user = users[3]!;
    for (let round = 0; round < 3; round++) {
      // A new address each round: 12 failures from one would lock the address (limit 8).
      const address = newAddress();
      for (let i = 0; i < 4; i++)
        expect((await attempt(servers[0]!, user.username, 'wrong', address)).status).toBe(401);
      expect((await attempt(servers[1]!, user.username, user.password, address)).status).toBe(200);
    }
  });

  it('lock an address after 8 failures, whatever usernames it tries, known or not', async () => {
    const address = newAddress();
    for (let i = 0; i < 8; i++) {
      const username = i % 2 ? `nobody-${i}` : users[1]!.username;
      expect((await attempt(servers[i % 2]!, username, `guess-${i}`, address)).status).toBe(401);
    }
    const locked = await attempt(servers[0]!, users[1]!.username, users[1]!.password, address);
    expect(locked.status).toBe(429);
    expect(locked.body).toMatch(/from this address/);
    expect(Number(locked.retryAfter)).toBeGreaterThan(50);
    expect(logged).toContain('Too many failed authentications from this address');
    // The same user from elsewhere is not locked: 4 of its failures are below the per-user limit.
    expect((await attempt(servers[1]!, users[1]!.username, users[1]!.password, newAddress())).status).toBe(
      200,
    );
  });
});
