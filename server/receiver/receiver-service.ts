/**
 * Assembles a running receiver from the endpoints: the primary store and outbox tables in
 * PostgreSQL, the blob store, the user directory in CouchDB behind Redis, and the HTTP server.
 */
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from '../../runtime/contract/index.js';
import type { Endpoints } from '../../connectors/endpoints.js';
import { ensureOutboxTable } from '../../connectors/outbox/outbox-table.js';
import { pgp, type Database } from '../../connectors/postgres/postgres-pool.js';
import { FilesystemBlobStore, S3BlobStore, type BlobStore } from '../../connectors/blob/blob-store.js';
import { s3Location } from '../../connectors/blob/s3-client.js';
import { ensurePrimaryStore } from '../../connectors/postgres/primary-store.js';
import { CredentialCache } from '../auth/submission-auth.js';
import { createReceiverServer, type RequestHandler } from './submission-receiver.js';
import { SubmissionStore } from '../../connectors/postgres/submission-store.js';
import { CouchUserDirectory } from '../../connectors/couchdb/user-directory.js';

export interface ReceiverServiceOptions {
  endpoints: Endpoints;
  logger: Logger;
  port: number;
  host: string;
  /** `s3` for the S3-API server of the endpoints, or a folder path for the filesystem store. */
  blobs: 's3' | { folder: string };
  maxBodyBytes: number;
  /** The routing targets outbox rows carry; the relay pipeline maps them to topics. */
  topics?: { forms: string; cases: string };
  outboxTable?: string;
  outboxChannel?: string;
  usersDatabase?: string;
  domainsDatabase?: string;
  /** PostgreSQL connections for submissions. */
  poolSize?: number;
  /** Other endpoints on the same port (see ReceiverOptions.handlers), made with the receiver's database. */
  handlers?: (db: Database) => RequestHandler[];
}

export interface ReceiverService {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  db: Database;
  blobs: BlobStore;
  close(): Promise<void>;
}

export async function startReceiverService(options: ReceiverServiceOptions): Promise<ReceiverService> {
  const { endpoints, logger } = options;
  const db = pgp({
    connectionString: endpoints.DATABASE_URL,
    max: options.poolSize ?? 16,
    application_name: 'tributary-receiver',
  });
  await ensurePrimaryStore(db);
  await ensureOutboxTable(db, options.outboxTable);
  const blobs: BlobStore =
    options.blobs === 's3'
      ? new S3BlobStore(s3Location(endpoints))
      : new FilesystemBlobStore(options.blobs.folder);
  // Redis only caches the directory: fail fast rather than queue while it is down.
  const redis = new Redis(endpoints.REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', (error: Error) =>
    logger.debug({ err: error.message }, 'Redis is unavailable; the directory reads CouchDB directly.'),
  );
  await redis
    .connect()
    .catch((error: unknown) =>
      logger.warn(
        { err: (error as Error).message },
        'Redis is unavailable; the directory reads CouchDB directly.',
      ),
    );
  const directory = new CouchUserDirectory({
    couchUrl: endpoints.COUCHDB_URL,
    usersDatabase: options.usersDatabase ?? 'commcarehq__users',
    domainsDatabase: options.domainsDatabase ?? 'commcarehq',
    redis,
    cacheTtlSeconds: 60,
  });
  const store = new SubmissionStore({
    db,
    blobs,
    topics: options.topics ?? { forms: 'forms', cases: 'cases' },
    ...(options.outboxTable ? { outboxTable: options.outboxTable } : {}),
    ...(options.outboxChannel ? { outboxChannel: options.outboxChannel } : {}),
  });
  const server = createReceiverServer({
    store,
    directory,
    credentials: new CredentialCache(),
    maxBodyBytes: options.maxBodyBytes,
    logger,
    ...(options.handlers ? { handlers: options.handlers(db) } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`;
  logger.info({ url, blobs: blobs.location }, 'The submission receiver is listening.');
  return {
    url,
    db,
    blobs,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      redis.disconnect();
      await db.$pool.end();
    },
  };
}
