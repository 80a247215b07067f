/**
 * A Redis server of one test's own (Debian's redis-server, its own port and data folder, append-only
 * file fsynced on every write), so a test can kill and restart it without disturbing the others.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually } from './pipeline-fixtures.js';

export class PrivateRedis {
  private server: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'tributary-redis-'));
  readonly port = 20000 + Math.floor(Math.random() * 20000);
  readonly url = `redis://127.0.0.1:${this.port}`;

  /** Starts the server (again, on the same append-only file) and resolves once it answers PING. */
  async start(): Promise<void> {
    this.server = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    await eventually(async () => {
      const client = new Redis(this.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      // Refused while the server starts: the rejected connect says so; the event needs no report.
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    }, 15_000);
  }

  /** Kills the server at once (SIGKILL): only what the append-only file holds survives. */
  async kill(): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
