/**
 * A Kafka broker of one test's own (the local stack's jars, its own data folder and ports), so a
 * test can stop and restart Kafka without disturbing the tests that share the stack's broker.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './pipeline-fixtures.js';

const repoRoot = new URL('../..', import.meta.url).pathname;

function kafkaLib(): string {
  const pom = readFileSync(join(repoRoot, 'deploy/local/kafka/pom.xml'), 'utf8');
  const version = /<kafka.version>(.*)<\/kafka.version>/.exec(pom)![1]!;
  return join(process.env.TRIBUTARY_CACHE ?? join(homedir(), '.cache', 'tributary'), 'kafka', version, 'lib');
}

export class PrivateKafka {
  private server: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-'));
  readonly port = 21000 + Math.floor(Math.random() * 9000);
  readonly controllerPort = this.port + 10000;
  readonly brokers = [`127.0.0.1:${this.port}`];

  private java(): string[] {
    return [
      '-Xms128m',
      '-Xmx384m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(repoRoot, 'deploy/local/kafka/log4j2.yaml')}`,
      '-cp',
      `${kafkaLib()}/*`,
    ];
  }

  /** Formats the storage once, starts the broker (again, on the same data) and resolves once it accepts connections. */
  async start(): Promise<void> {
    const properties = join(this.dir, 'server.properties');
    if (!readdirSync(this.dir).includes('server.properties')) {
      const base = readFileSync(join(repoRoot, 'deploy/local/kafka/server.properties'), 'utf8')
        .replaceAll('127.0.0.1:9092', `127.0.0.1:${this.port}`)
        .replaceAll('127.0.0.1:9093', `127.0.0.1:${this.controllerPort}`);
      writeFileSync(properties, `${base}\nlog.dirs=${this.dir}/logs\nmetadata.log.dir=${this.dir}/logs\n`);
      execFileSync(
        'java',
        [
          ...this.java(),
          'kafka.tools.StorageTool',
          'format',
          '--standalone',
          '-t',
          'tributary-private-00001',
          '-c',
          properties,
        ],
        { stdio: 'ignore' },
      );
    }
    this.server = spawn('java', [...this.java(), 'kafka.Kafka', properties], { stdio: 'ignore' });
    const up = await eventually(() => portOpen(this.port), 90_000, 250);
    if (!up) throw new Error(`private Kafka on port ${this.port} did not start`);
  }

  /** Kills the broker, as in a crash. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
