/**
 * Tracing of a record's path across processes, against a real OTLP/HTTP receiver (a small collector
 * in this test that decodes OTLP/JSON): `tributary serve` receives a form (span `receive form`),
 * its relay publishes the outbox rows to the topic (`<relay> process`, child of it), and a
 * `tributary run` worker reads the topic through its stage into its sink (`<worker> process`,
 * child of the relay's span). The trace context travels in the outbox row and the Kafka headers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoUsers } from '../../cli/demo-application.js';
import { seedDirectory } from '../../cli/demo-directory.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { freePort } from '../support/free-port.js';
import { eventually, testDatabase } from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';
import { writePipelineFile } from '../support/worker.js';

interface CollectedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

const names = testNames(import.meta.url);
const database = await testDatabase();
const domain = names.id.replace(/_/g, '-');
const spans: CollectedSpan[] = [];
const children: ChildProcess[] = [];
const outputs: string[] = [];
let collector: Server;
let receiverUrl: string;

/** OTLP/JSON: resourceSpans[].scopeSpans[].spans[], attributes as {key, value: {stringValue|…}}. */
function collect(body: string): void {
  type Attribute = { key: string; value: Record<string, unknown> };
  const request = JSON.parse(body) as {
    resourceSpans: {
      resource: { attributes: Attribute[] };
      scopeSpans: {
        spans: {
          name: string;
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          attributes: Attribute[];
        }[];
      }[];
    }[];
  };
  const scalar = (value: Record<string, unknown>): unknown => {
    const array = value.arrayValue as { values?: Record<string, unknown>[] } | undefined;
    return array ? (array.values ?? []).map(scalar) : Object.values(value)[0];
  };
  const values = (attributes: Attribute[]) =>
    Object.fromEntries(attributes.map((a) => [a.key, scalar(a.value)]));
  for (const resource of request.resourceSpans) {
    const service = String(values(resource.resource.attributes)['service.name']);
    for (const scope of resource.scopeSpans)
      for (const span of scope.spans)
        spans.push({
          service,
          name: span.name,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          attributes: values(span.attributes),
        });
  }
}

function start(args: string[], env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, ['dist/cli/main.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const index = outputs.push('') - 1;
  child.stdout.on('data', (chunk: Buffer) => (outputs[index] += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (outputs[index] += chunk.toString()));
  children.push(child);
}

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) collect(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const collectorPort = await freePort();
  await new Promise<void>((resolve) => collector.listen(collectorPort, '127.0.0.1', resolve));
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };

  await seedDirectory({ couchUrl: readEndpoints().COUCHDB_URL, domain, users: demoUsers(1, domain) });
  const forms = names.topic('forms');
  const outboxTable = `${names.pgSchema()}.outbox`;
  const relay = writePipelineFile(`
name: ${names.id}-relay
source: { type: outbox, table: ${outboxTable}, channel: ${names.id}_outbox }
sinks:
  topics:
    type: kafka
    topic: ${forms}
    partitions: 2
    value: { format: avro, schemaOf: forms }
    routes:
      forms: { topic: '${forms}', value: { format: avro, schemaOf: forms } }
      cases: { topic: '${names.topic('cases')}', value: { format: avro, schemaOf: cases } }
`);
  const worker = writePipelineFile(`
name: ${names.id}-worker
source: { type: kafka, topics: [${forms}], partitions: 2, value: { format: avro, schemaOf: forms }, createTopics: true }
processors: [{ type: noop }]
sinks:
  done: { type: noop }
`);
  const port = await freePort();
  receiverUrl = `http://127.0.0.1:${port}/a/${domain}/receiver`;
  start(
    [
      'serve',
      relay,
      '--port',
      String(port),
      '--metrics-port',
      '0',
      '--blobs',
      mkdtempSync(`${tmpdir()}/tributary-blobs-`),
    ],
    { ...otel, OUTBOX_TABLE: outboxTable },
  );
  start(['run', worker, '--port', '0'], otel);
  const up = await eventually(
    // Up once the receiver answers its pre-flight: the challenge, since HEAD without credentials is a 401.
    async () => (await fetch(receiverUrl, { method: 'HEAD' }).catch(() => undefined))?.status === 401,
    30_000,
  );
  if (!up) throw new Error(`serve did not start:\n${outputs.join('\n---\n').slice(-3000)}`);
}, 60_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child.once('exit', resolve)),
    ),
  );
  collector?.close();
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

describe('tracing with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  it('follows a form from the receiver through the outbox relay and the topic into a worker’s stage and sink', async () => {
    const formId = randomUUID();
    const xml = readFileSync('commcare/xform/fixtures/demo-registration.xml', 'utf8')
      .replace('readme-form-4', formId)
      .replace(/readme-(household|member)-(\d)/g, (_m, kind: string, n: string) => `${formId}-${kind}-${n}`);
    const user = demoUsers(1, domain)[0]!;
    // The form is the authenticated user's own (the receiver refuses one naming somebody else).
    const own = xml.replace(/<n0:userID>[^<]*<\/n0:userID>/, `<n0:userID>${user.id}</n0:userID>`);
    const response = await fetch(receiverUrl, {
      method: 'POST',
      body: own,
      headers: {
        'content-type': 'text/xml',
        authorization: `Basic ${Buffer.from(`${user.username}@${domain}.commcarehq.org:${user.password}`).toString('base64')}`,
      },
    });
    expect(response.status).toBe(201);

    const workerSpanOf = () =>
      spans.find((s) => s.name === `${names.id}-worker process` && s.attributes['tributary.key'] === formId);
    const arrived = await eventually(() => Promise.resolve(workerSpanOf() !== undefined), 30_000);
    expect(
      arrived,
      `spans seen: ${spans.map((s) => s.name).join(', ')}\n${outputs.join('\n---\n').slice(-2000)}`,
    ).toBe(true);

    const worker = workerSpanOf()!;
    const relay = spans.find((s) => s.spanId === worker.parentSpanId);
    const receive = spans.find((s) => s.spanId === relay?.parentSpanId);
    expect(relay).toMatchObject({
      name: `${names.id}-relay process`,
      service: 'tributary-serve',
      traceId: worker.traceId,
    });
    expect(relay?.attributes['tributary.key']).toBe(formId);
    expect(receive).toMatchObject({
      name: 'receive form',
      service: 'tributary-serve',
      traceId: worker.traceId,
    });
    expect(worker.service).toMatch(/^tributary-run/);
    expect(worker.attributes).toMatchObject({
      'tributary.stages': ['processor[0]:noop'],
      'tributary.sinks': ['done'],
    });
  });
});
