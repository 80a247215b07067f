/**
 * An OpenSearch node of one test's own (the local stack's jars and launcher, its own data folder
 * and ports), so a test can stop and restart the search engine, or give it a tiny write queue,
 * without disturbing the tests that share the stack's node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './pipeline-fixtures.js';

const repoRoot = new URL('../..', import.meta.url).pathname;

function searchDist(): string {
  const script = readFileSync(join(repoRoot, 'deploy/local/services/search.sh'), 'utf8');
  const version = process.env.SEARCH_VERSION ?? /SEARCH_VERSION:-([\d.]+)/.exec(script)![1]!;
  return join(process.env.TRIBUTARY_CACHE ?? join(homedir(), '.cache', 'tributary'), 'search', version);
}

export interface PrivateSearchOptions {
  /** Extra lines of opensearch.yml, e.g. `thread_pool.write.queue_size: 1`. */
  settings?: string[];
  heap?: string;
}

export class PrivateSearch {
  private node: ChildProcess | undefined;
  readonly home = mkdtempSync(join(tmpdir(), 'tributary-search-'));
  readonly port = 21000 + Math.floor(Math.random() * 9000);
  readonly url = `http://127.0.0.1:${this.port}`;

  constructor(private readonly options: PrivateSearchOptions = {}) {}

  /** Starts the node (again, on the same data) and resolves once the cluster is yellow or green. */
  async start(): Promise<void> {
    for (const dir of ['config', 'data', 'logs', 'tmp']) mkdirSync(join(this.home, dir), { recursive: true });
    writeFileSync(
      join(this.home, 'config/opensearch.yml'),
      [
        'cluster.name: tributary-private',
        'node.name: private-1',
        `path.data: ${this.home}/data`,
        `path.logs: ${this.home}/logs`,
        'network.host: 127.0.0.1',
        `http.port: ${this.port}`,
        `transport.port: ${this.port + 10000}`,
        'discovery.type: single-node',
        'cluster.routing.allocation.disk.threshold_enabled: false',
        ...(this.options.settings ?? []),
      ].join('\n'),
    );
    writeFileSync(
      join(this.home, 'config/log4j2.properties'),
      'status = error\nappender.console.type = Console\nappender.console.name = console\n' +
        'appender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %m%n\n' +
        'rootLogger.level = warn\nrootLogger.appenderRef.console.ref = console\n',
    );
    const dist = searchDist();
    const heap = this.options.heap ?? '256m';
    this.node = spawn(
      'java',
      [
        `-Xms${heap}`,
        `-Xmx${heap}`,
        '-XX:+UseG1GC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        '-Dfile.encoding=UTF-8',
        '-Dio.netty.noUnsafe=true',
        '-Dlog4j2.disable.jmx=true',
        '-Djava.locale.providers=SPI,COMPAT',
        `-Djava.io.tmpdir=${this.home}/tmp`,
        '-cp',
        `${dist}/launcher.jar:${dist}/lib/*`,
        'TributarySearchNode',
        this.home,
      ],
      { stdio: 'ignore' },
    );
    const up = await eventually(() => this.healthy(), 180_000, 500);
    if (!up) throw new Error(`private OpenSearch on port ${this.port} did not start`);
  }

  private async healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
        signal: AbortSignal.timeout(3000),
      });
      return response.ok;
    } catch {
      return false;
    }
  }

  /** Kills the node, as in a crash. */
  async stop(): Promise<void> {
    const node = this.node;
    if (!node || node.exitCode !== null || node.signalCode !== null) return;
    const exited = new Promise((resolve) => node.on('exit', resolve));
    node.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.home, { recursive: true, force: true });
  }
}
