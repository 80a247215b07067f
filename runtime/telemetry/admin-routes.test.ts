import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminOperations } from './admin-routes.js';
import { startTelemetryServer } from './http-server.js';

const calls: string[] = [];
const operations: AdminOperations = {
  names: () => ['p1'],
  status: (name) => Promise.resolve({ pipeline: name }),
  pause: (name) => void calls.push(`pause ${name}`),
  resume: (name) => void calls.push(`resume ${name}`),
  deadLetters: (name, options) => Promise.resolve([{ name, ...options }]),
};
let server: Server | undefined;

async function start(token: string | undefined): Promise<string> {
  server = await startTelemetryServer(0, '127.0.0.1', new Registry(), {
    healthy: () => true,
    ready: () => true,
    admin: { token, operations },
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

afterEach(() => {
  server?.close();
  calls.length = 0;
});

describe('admin routes', () => {
  it('are off (403, saying how to turn them on) when no token is configured', async () => {
    const response = await fetch(`${await start(undefined)}/pipelines`);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('TRIBUTARY_ADMIN_TOKEN');
  });

  it('pause and resume only by POST, and parse the dead-letter query', async () => {
    const base = await start('t');
    const auth = { authorization: 'Bearer t' };
    expect((await fetch(`${base}/pipelines/p1/pause`, { headers: auth })).status).toBe(405);
    expect((await fetch(`${base}/pipelines/p1/pause`, { method: 'POST', headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/pipelines/p1/resume`, { method: 'POST', headers: auth })).status).toBe(200);
    expect(calls).toEqual(['pause p1', 'resume p1']);
    const letters = await fetch(`${base}/pipelines/p1/dead-letters?limit=5&pending=true`, { headers: auth });
    expect(await letters.json()).toEqual([{ name: 'p1', limit: 5, pendingOnly: true }]);
    expect((await fetch(`${base}/pipelines/p1/dead-letters?limit=0`, { headers: auth })).status).toBe(400);
  });

  it('leave /metrics, /healthz and /readyz open', async () => {
    const base = await start('t');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });
});
