/**
 * Start-up and connection failures of the built bin, as an operator meets them: one plain line on
 * stderr naming the endpoint, the variable that set it and what to try; exit 2 for bad input, 1
 * for an unreachable service; never a stack trace or a JSON log line.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { testNames } from '../support/resources.js';
import { writePipelineFile } from '../support/worker.js';

const names = testNames(import.meta.url);
const missingTopic = names.topic('never-created');
const pipeline = writePipelineFile(`
name: ${names.id}
source:
  type: kafka
  topics: [${missingTopic}]
  value: { format: json }
sinks:
  out: { type: log }
`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bin(args: string[], env: NodeJS.ProcessEnv = {}, node = process.execPath, nodeArgs: string[] = []) {
  return new Promise<Run>((resolve) =>
    execFile(
      node,
      [...nodeArgs, 'dist/cli/main.js', ...args],
      { env: { ...process.env, LOG_FORMAT: 'json', ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    ),
  );
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The one line printed, after checking there was exactly one and no stack or log line. */
function oneLine(run: Run): string {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/^\{"level"/m);
  return lines[0]!;
}

describe('failures of the tributary command', () => {
  it('names the broker, KAFKA_BROKERS and what to try when the Kafka port is closed (exit 1)', async () => {
    const port = await closedPort();
    const run = await bin(['status', pipeline], { KAFKA_BROKERS: `127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(oneLine(run)).toBe(
      `tributary status: cannot reach Kafka at 127.0.0.1:${port} (KAFKA_BROKERS=127.0.0.1:${port}): connection refused; ` +
        'is it running? npm run stack:status shows what the local stack runs; npm run stack:up starts it; ' +
        'or set KAFKA_BROKERS to where it runs.',
    );
  });

  it('says a KRaft controller port is not a broker listener (exit 2)', async () => {
    const properties = readFileSync('deploy/local/kafka/server.properties', 'utf8');
    const controller = /^controller\.quorum\.bootstrap\.servers=(\S+)/m.exec(properties)![1]!;
    const run = await bin(['status', pipeline], { KAFKA_BROKERS: controller });
    expect(run.code).toBe(2);
    expect(oneLine(run)).toMatch(
      new RegExp(
        `^tributary status: the server at KAFKA_BROKERS=${controller} answers but is not a Kafka broker listener .*controller port`,
      ),
    );
  });

  it.each([['status'], ['rewind']])(
    'says which topic is missing and how to create it on %s (exit 1)',
    async (command) => {
      const run = await bin(
        command === 'rewind' ? ['rewind', pipeline, '--to', 'earliest'] : ['status', pipeline],
      );
      expect(run.code).toBe(1);
      expect(oneLine(run)).toBe(
        `tributary ${command}: topic ${missingTopic} does not exist on KAFKA_BROKERS=127.0.0.1:9092: create the pipeline's topics with ` +
          `\`tributary topics ensure ${pipeline}\`, or check the topic name in the pipeline file.`,
      );
    },
  );

  it('names PostgreSQL and DATABASE_URL, without its password, when the database is down (exit 1)', async () => {
    const port = await closedPort();
    const run = await bin(['dlq', 'list'], {
      DATABASE_URL: `postgres://tributary:s3cret@127.0.0.1:${port}/tributary`,
    });
    expect(run.code).toBe(1);
    const line = oneLine(run);
    expect(line).toMatch(
      new RegExp(
        `^tributary dlq list: cannot reach PostgreSQL at 127.0.0.1:${port} \\(DATABASE_URL=postgres://tributary:\\*\\*\\*@127.0.0.1:${port}/tributary\\): connection refused`,
      ),
    );
    expect(line).not.toContain('s3cret');
  });

  it('refuses a bad endpoint variable before starting anything, naming it (exit 2)', async () => {
    const run = await bin(['run', pipeline, '--port', '0'], { KAFKA_BROKERS: 'kafka-without-port' });
    expect(run.code).toBe(2);
    expect(oneLine(run)).toBe(
      'tributary run: bad endpoint configuration: KAFKA_BROKERS="kafka-without-port": expected host:port',
    );
  });

  it('says run cannot reach the broker in one line instead of a JSON log record (exit 1)', async () => {
    const port = await closedPort();
    const run = await bin(['run', pipeline, '--port', '0'], { KAFKA_BROKERS: `127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(oneLine(run)).toMatch(/^tributary run: cannot reach Kafka at 127\.0\.0\.1:\d+ \(KAFKA_BROKERS=/);
  });

  it('says the port is taken when serve cannot listen (exit 1)', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    try {
      const run = await bin(['serve', '--port', String(port)]);
      expect(run.code).toBe(1);
      expect(oneLine(run)).toMatch(
        new RegExp(`^tributary serve: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`),
      );
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('refuses to start on a Node older than the one the project pins, saying which (exit 1)', async () => {
    const required = Number(
      /\d+/.exec(
        (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node,
      )![0],
    );
    // The machine's own Node when it is older (as on a fresh Debian), else this Node told it is 20.
    const system = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path));
    const older = system && (await versionOf(system)) < required;
    const run = older
      ? await bin(['--help'], {}, system)
      : await bin(['--help'], {}, process.execPath, [
          '--import',
          'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.0.0"})',
        ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^tributary: needs Node.js >=${required}; this is Node \\d+\\.`));
    expect(run.stderr).toContain('npm run tributary -- <command>');
    expect(run.stderr).not.toMatch(/withResolvers|^\s+at /m);
  });
});

function versionOf(node: string): Promise<number> {
  return new Promise((resolve) =>
    execFile(node, ['-p', 'process.versions.node'], (error, stdout) =>
      resolve(error ? Infinity : Number(stdout.split('.')[0])),
    ),
  );
}
