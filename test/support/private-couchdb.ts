/**
 * A CouchDB API server of one test's own (the local stack's pouchdb-server, its own data folder and
 * port), so a test can stop and restart it without disturbing the tests that share the stack.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './pipeline-fixtures.js';

const pouchdbServerVersion = '4.2.0';

const pouchdbServerBin = () =>
  join(
    process.env.TRIBUTARY_CACHE ?? join(homedir(), '.cache', 'tributary'),
    'couchdb',
    pouchdbServerVersion,
    'node_modules',
    'pouchdb-server',
    'bin',
    'pouchdb-server',
  );

export class PrivateCouchdb {
  private server: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'tributary-couchdb-'));
  readonly port = 20000 + Math.floor(Math.random() * 20000);
  readonly url = `http://127.0.0.1:${this.port}`;

  /**
   * Installs the local stack's pouchdb-server if it is not there yet (under TRIBUTARY_STACK=
   * testcontainers or external the stack script never ran), through the stack's own install step.
   */
  static ensureInstalled(): void {
    if (existsSync(pouchdbServerBin())) return;
    execFileSync(
      'bash',
      ['-c', 'source deploy/local/lib.sh && source deploy/local/services/couchdb.sh && install_couchdb'],
      { stdio: 'ignore' },
    );
  }

  /** Starts the server (again, on the same data) and resolves once it answers. */
  async start(): Promise<void> {
    PrivateCouchdb.ensureInstalled();
    this.server = spawn(
      process.execPath,
      [
        pouchdbServerBin(),
        '--host',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--dir',
        this.dir,
        '--config',
        join(this.dir, 'config.json'),
        '--no-color',
      ],
      // pouchdb-server writes log.txt into its working directory: keep that in the data folder.
      { cwd: this.dir, stdio: 'ignore' },
    );
    const up = await eventually(
      () =>
        fetch(`${this.url}/_all_dbs`, { signal: AbortSignal.timeout(1000) }).then(
          (response) => response.ok,
          () => false,
        ),
      30_000,
      100,
    );
    if (!up) throw new Error(`private pouchdb-server on port ${this.port} did not start`);
  }

  /** Kills the server, cutting open connections, as in a crash. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }

  /** Stops the server and removes its data folder. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
