/**
 * What the background tasks and their HTTP routes share: the primary store, the S3 client, Redis
 * for task status, the queues, the export catalog and the lookup loader. Built once per process
 * (`tributary serve` and `tributary worker`).
 */
import { Redis } from 'ioredis';
import type { Client } from 'minio';
import { createS3Client, s3Location } from '../../connectors/blob/s3-client.js';
import { ExportLookupLoader } from '../../connectors/couchdb/export-lookup-loader.js';
import type { Endpoints } from '../../connectors/endpoints.js';
import { ensureExportIndexes } from '../../connectors/postgres/export-reader.js';
import { pgp, type Database } from '../../connectors/postgres/postgres-pool.js';
import { openQueue, type TaskQueueName, type TaskQueueOptions } from '../../connectors/redis/task-queue.js';
import { TaskStatusStore } from '../../connectors/redis/task-status.js';
import type { Queue } from 'bullmq';
import type { Logger } from '../../runtime/contract/index.js';
import { ExportCatalog } from '../exports/export-catalog.js';

export interface TaskServicesOptions {
  endpoints: Endpoints;
  logger: Logger;
  /** Key prefix of the queues and of task status in Redis. */
  prefix: string;
  exportsFolder: string;
  /** CouchDB database with ExportInstance documents. */
  exportsDatabase: string;
  usersDatabase: string;
  mainDatabase: string;
  /** Reuse a pool (the server's); a new one is opened otherwise. */
  db?: Database;
  /** Where blobs of tasks go (a test may point it elsewhere). */
  s3Endpoints?: Endpoints;
}

export interface TaskServices {
  endpoints: Endpoints;
  logger: Logger;
  db: Database;
  s3: Client;
  bucket: string;
  region: string;
  redis: Redis;
  status: TaskStatusStore;
  catalog: ExportCatalog;
  lookups: ExportLookupLoader;
  queueOptions: TaskQueueOptions;
  queue(name: TaskQueueName): Queue;
  close(): Promise<void>;
}

export async function openTaskServices(options: TaskServicesOptions): Promise<TaskServices> {
  const { endpoints } = options;
  const ownDb = !options.db;
  const db =
    options.db ??
    pgp({ connectionString: endpoints.DATABASE_URL, max: 4, application_name: 'tributary-tasks' });
  await ensureExportIndexes(db);
  const redis = new Redis(endpoints.REDIS_URL, { maxRetriesPerRequest: 3 });
  redis.on('error', (error: Error) => options.logger.debug({ err: error.message }, 'Redis is unavailable.'));
  const s3Endpoints = options.s3Endpoints ?? endpoints;
  const queueOptions = { redisUrl: endpoints.REDIS_URL, prefix: options.prefix };
  const queues = new Map<TaskQueueName, Queue>();
  return {
    endpoints,
    logger: options.logger,
    db,
    s3: createS3Client(s3Location(s3Endpoints)),
    bucket: s3Endpoints.S3_BUCKET,
    region: s3Endpoints.S3_REGION,
    redis,
    status: new TaskStatusStore(redis, `${options.prefix}:`),
    catalog: new ExportCatalog({
      folder: options.exportsFolder,
      couchUrl: endpoints.COUCHDB_URL,
      couchDatabase: options.exportsDatabase,
    }),
    lookups: new ExportLookupLoader({
      couchUrl: endpoints.COUCHDB_URL,
      usersDatabase: options.usersDatabase,
      mainDatabase: options.mainDatabase,
    }),
    queueOptions,
    queue: (name) => {
      let queue = queues.get(name);
      if (!queue) {
        queue = openQueue(name, queueOptions);
        queue.on('error', (error: Error) =>
          options.logger.debug({ err: error.message, queue: name }, 'The queue lost Redis; it reconnects.'),
        );
        queues.set(name, queue);
      }
      return queue;
    },
    close: async () => {
      for (const queue of queues.values()) await queue.close().catch(() => undefined);
      redis.disconnect();
      if (ownDb) await db.$pool.end();
    },
  };
}
