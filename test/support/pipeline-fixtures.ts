/** Helpers for pipeline tests: produce keyed versions to a topic, and read what a sink table holds. */
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { readEndpoints } from '../../connectors/endpoints.js';
import { postgresPool, type Database } from '../../connectors/postgres/postgres-pool.js';
import { PipelineHost } from '../../cli/pipeline-host.js';
import { formatProblem, loadPipelineText, type PipelinePlan } from '../../runtime/config/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import type { Registry } from '../../runtime/registry/index.js';
import { silentLogger } from '../../runtime/telemetry/logger.js';

export interface VersionedDoc {
  id: string;
  version: number;
  payload: string;
}

/** `keys` documents, each written in order with versions `from`..`to`, interleaved across keys. */
export function versionedDocs(keys: number, to: number, from = 1): VersionedDoc[] {
  const docs: VersionedDoc[] = [];
  for (let v = from; v <= to; v++) {
    for (let k = 0; k < keys; k++) docs.push({ id: `doc-${k}`, version: v, payload: `v${v} of doc-${k}` });
  }
  return docs;
}

export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({
    brokers: [...readEndpoints().KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Produces JSON values keyed by id; `raw` lets a test slip in bytes that are not JSON. */
export async function produce(
  topic: string,
  messages: { key: string; value: string | Buffer }[],
): Promise<void> {
  const producer = new Kafka({
    brokers: [...readEndpoints().KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
  });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 5000) {
      await producer.send({ topic, messages: messages.slice(i, i + 5000) });
    }
  } finally {
    await producer.disconnect();
  }
}

export const produceDocs = (topic: string, docs: VersionedDoc[]) =>
  produce(
    topic,
    docs.map((doc) => ({ key: doc.id, value: JSON.stringify(doc) })),
  );

export async function testDatabase(): Promise<{ db: Database; close: () => Promise<void> }> {
  const resources = new ResourcePool();
  const db = await postgresPool(resources, readEndpoints().DATABASE_URL);
  return { db, close: () => resources.close() };
}

/** Polls until `check` returns true or the time runs out; returns whether it did. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return check();
}

/** Every key of a document table with its version; asserts no key holds anything but its final version. */
export async function tableVersions(
  db: Database,
  table: string,
  key = 'doc_id',
): Promise<Map<string, bigint>> {
  const exists = await db.oneOrNone<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
  if (!exists?.ok) return new Map();
  const rows = await db.any<{ id: string; version: bigint }>(`SELECT $1:name AS id, version FROM ${table}`, [
    key,
  ]);
  return new Map(rows.map((r) => [r.id, r.version]));
}

/** Parses inline pipeline YAML, failing the test with every problem found. */
export function planOf(yaml: string, registry: Registry, env: NodeJS.ProcessEnv = {}): PipelinePlan {
  const loaded = loadPipelineText(yaml, 'inline.yaml', registry, env);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  return loaded.plan;
}

/** Starts pipelines in one in-process host, as `tributary run` does; stop it when done. */
export async function startPipelines(plans: PipelinePlan[]): Promise<PipelineHost> {
  const host = new PipelineHost(silentLogger, { defaultMetrics: false });
  await host.start(plans);
  return host;
}
