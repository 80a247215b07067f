/**
 * Asks every configured endpoint a real question with the same clients the pipelines use, so
 * "healthy" means "Tributary can talk to it", wherever the variables point.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import nano from 'nano';
import pgPromise from 'pg-promise';
import { createS3Client, s3Location } from '../connectors/blob/s3-client.js';
import type { Endpoints } from '../connectors/endpoints.js';
import { redactSecrets } from '../runtime/contract/index.js';

export interface ProbeResult {
  service: string;
  address: string;
  ok: boolean;
  detail: string;
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref(),
    ),
  ]);

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

const probes: Record<string, (e: Endpoints) => { address: string; run: () => Promise<string> }> = {
  kafka: (e) => ({
    address: e.KAFKA_BROKERS.join(','),
    run: async () => {
      const admin = new Kafka({
        brokers: [...e.KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
        retry: { retries: 1 },
      }).admin();
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)`;
      } finally {
        await admin.disconnect();
      }
    },
  }),
  registry: (e) => ({
    address: e.SCHEMA_REGISTRY_URL,
    run: async () => {
      const response = await fetch(`${e.SCHEMA_REGISTRY_URL}/subjects`, {
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return `${((await response.json()) as unknown[]).length} subject(s)`;
    },
  }),
  postgres: (e) => ({
    address: e.DATABASE_URL,
    run: async () => {
      const pgp = pgPromise();
      try {
        const { server_version } = await pgp(e.DATABASE_URL).one<{ server_version: string }>(
          'show server_version',
        );
        return `PostgreSQL ${server_version}`;
      } finally {
        pgp.end();
      }
    },
  }),
  redis: (e) => ({
    address: e.REDIS_URL,
    run: async () => {
      const redis = new Redis(e.REDIS_URL, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await redis.connect();
        const info = await redis.info('server');
        return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
      } finally {
        redis.disconnect();
      }
    },
  }),
  search: (e) => ({
    address: e.SEARCH_URL,
    run: async () => {
      const root = (await getJson(e.SEARCH_URL)) as { version?: { number?: string; distribution?: string } };
      const health = await getJson(`${e.SEARCH_URL}/_cluster/health`);
      const product = root.version?.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch';
      return `${product} ${root.version?.number ?? '?'}, cluster ${String(health.status)}`;
    },
  }),
  couchdb: (e) => ({
    address: e.COUCHDB_URL,
    run: async () => {
      const dbs = await nano(e.COUCHDB_URL).db.list();
      return `${dbs.length} database(s)`;
    },
  }),
  s3: (e) => ({
    address: `${e.S3_ENDPOINT} bucket ${e.S3_BUCKET}`,
    run: async () => {
      const exists = await createS3Client(s3Location(e)).bucketExists(e.S3_BUCKET);
      if (!exists) throw new Error(`bucket ${e.S3_BUCKET} does not exist`);
      return 'bucket present';
    },
  }),
};

export const probedServices = Object.keys(probes);

/** Probes every endpoint at once; never throws, a failure is a result with ok = false. */
export async function probeEndpoints(endpoints: Endpoints, timeoutMs = 8000): Promise<ProbeResult[]> {
  return Promise.all(
    Object.entries(probes).map(async ([service, probe]) => {
      const { address, run } = probe(endpoints);
      // Every address and every client's error message may carry credentials: one redaction for all.
      const shown = (detail: string) => ({
        service,
        address: redactSecrets(address),
        detail: redactSecrets(detail),
      });
      try {
        return { ...shown(await withTimeout(run(), timeoutMs)), ok: true };
      } catch (error) {
        return { ...shown(error instanceof Error ? error.message : String(error)), ok: false };
      }
    }),
  );
}
