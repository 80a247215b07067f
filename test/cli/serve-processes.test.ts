/**
 * `tributary serve --processes N`: N receiver processes answer on one port, one that dies is
 * replaced while the others keep answering, and SIGTERM stops them all with exit code 0. The
 * built bin against the local stack (PostgreSQL, CouchDB, Redis), a blob folder of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/pipeline-fixtures.js';
import { freePort } from '../support/free-port.js';

const started: ChildProcess[] = [];

afterAll(() => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function healthy(url: string): Promise<boolean> {
  // A new connection each time: the primary hands connections, not requests, to its receivers.
  const response = await fetch(`${url}/healthz`, {
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(10_000),
  }).catch(() => undefined);
  return response?.status === 200;
}

describe('tributary serve --processes', () => {
  it('serves one port from N processes, replaces one that dies and stops them all on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let output = '';
    const serve = spawn(
      process.execPath,
      [
        'dist/cli/main.js',
        'serve',
        '--port',
        String(port),
        '--metrics-port',
        '0',
        '--blobs',
        mkdtempSync(`${tmpdir()}/tributary-blobs-`),
        '--processes',
        '2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    started.push(serve);
    serve.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    serve.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));

    expect(
      await eventually(() => Promise.resolve(output.includes('Receiving submissions at')), 60_000),
      output,
    ).toBe(true);
    const receivers = childrenOf(serve.pid!);
    expect(receivers, output).toHaveLength(2);
    for (let i = 0; i < 20; i++) expect(await healthy(url)).toBe(true);

    // One receiver dies: once the primary has seen it go (a connection handed to it in that
    // instant is lost, as with any crash), the other answers every request, and another starts.
    process.kill(receivers[0]!, 'SIGKILL');
    expect(
      await eventually(() => Promise.resolve(!childrenOf(serve.pid!).includes(receivers[0]!)), 30_000),
    ).toBe(true);
    for (let i = 0; i < 20; i++) expect(await healthy(url)).toBe(true);
    expect(
      await eventually(() => {
        const now = childrenOf(serve.pid!);
        return Promise.resolve(now.length === 2 && !now.includes(receivers[0]!));
      }, 60_000),
      output,
    ).toBe(true);
    const replaced = childrenOf(serve.pid!);
    for (let i = 0; i < 20; i++) expect(await healthy(url)).toBe(true);

    serve.kill('SIGTERM');
    expect(await exited, output).toBe(0);
    for (const pid of replaced) expect(() => process.kill(pid, 0)).toThrow();
    expect(await healthy(url)).toBe(false);
  }, 180_000);
});
