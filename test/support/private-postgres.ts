/**
 * A PostgreSQL server of one test's own (same binaries as the local stack, its own data folder
 * and port), so a test can stop and restart it without disturbing the tests that share the stack.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './pipeline-fixtures.js';
import pgPromise from 'pg-promise';

const pgBin = () => {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  return join('/usr/lib/postgresql', versions[0]!, 'bin');
};
const asRoot = process.getuid?.() === 0;
// The server refuses to run as root: as root it runs as Debian's postgres user.
const owner = (command: string, args: string[]): [string, string[]] =>
  asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

export class PrivatePostgres {
  private server: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'tributary-pg-'));
  readonly port = 20000 + Math.floor(Math.random() * 20000);
  readonly url = `postgres://tributary@127.0.0.1:${this.port}/postgres`;

  constructor() {
    if (asRoot)
      chownSync(
        this.dir,
        Number(execFileSync('id', ['-u', 'postgres']).toString()),
        Number(execFileSync('id', ['-g', 'postgres']).toString()),
      );
    const [command, args] = owner(join(pgBin(), 'initdb'), [
      '-D',
      this.dir,
      '-U',
      'tributary',
      '--auth=trust',
      '-E',
      'UTF8',
    ]);
    execFileSync(command, args, { stdio: 'ignore' });
  }

  async start(): Promise<void> {
    const [command, args] = owner(join(pgBin(), 'postgres'), [
      '-D',
      this.dir,
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-k',
      this.dir,
      '-c',
      'fsync=off',
    ]);
    this.server = spawn(command, args, { stdio: 'ignore' });
    const pgp = pgPromise({ noWarnings: true });
    const db = pgp({ connectionString: this.url, connectionTimeoutMillis: 1000 });
    const up = await eventually(
      () =>
        db.one('select 1').then(
          () => true,
          () => false,
        ),
      30_000,
      200,
    );
    await db.$pool.end(); // not pgp.end(): that would close every pool of this process
    if (!up) throw new Error(`private PostgreSQL on port ${this.port} did not start`);
  }

  /** Fast shutdown: open connections are cut, as in a crash or failover. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.on('exit', resolve));
    // pg_ctl rather than a signal: runuser, between us and the server, does not forward SIGINT.
    const [command, args] = owner(join(pgBin(), 'pg_ctl'), ['-D', this.dir, '-m', 'fast', '-w', 'stop']);
    execFileSync(command, args, { stdio: 'ignore' });
    await exited;
  }

  /** Stops the server and removes its data folder. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
