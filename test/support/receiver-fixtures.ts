/**
 * A receiver of one test file's own: a fresh domain with demo users seeded in the shared CouchDB,
 * its own outbox table and channel, blobs in a temporary folder (or the shared bucket).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoUsers, type DemoUser } from '../../cli/demo-application.js';
import { seedDirectory } from '../../cli/demo-directory.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import {
  receiverModule,
  serverSettings,
  startServer,
  type RouteModuleFactory,
  type ServerOptions,
  type ServerSettings,
} from '../../server/index.js';
import type { BlobStore } from '../../connectors/blob/blob-store.js';
import type { Database } from '../../connectors/postgres/postgres-pool.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import type { TestNames } from './resources.js';

export interface TestReceiver {
  service: { url: string; db: Database; blobs: BlobStore; close(): Promise<void> };
  domain: string;
  users: DemoUser[];
  outboxTable: string;
  outboxChannel: string;
  blobDir: string;
  close(): Promise<void>;
}

export async function startTestReceiver(
  names: TestNames,
  options: {
    blobs?: 's3' | 'folder';
    maxBodyBytes?: number;
    users?: number;
    /** Other route modules served beside the receiver. */
    modules?: RouteModuleFactory[];
    /** Settings other than the defaults (the environment is not read). */
    settings?: Partial<ServerSettings>;
    /** Who may call domain-user routes; the server's default otherwise. */
    authenticator?: ServerOptions['authenticator'];
  } = {},
): Promise<TestReceiver> {
  const domain = names.id.replace(/_/g, '-');
  const users = demoUsers(options.users ?? 3, domain);
  await seedDirectory({ couchUrl: readEndpoints().COUCHDB_URL, domain, users });
  const blobDir = mkdtempSync(join(tmpdir(), 'tributary-blobs-'));
  const outboxTable = `${names.pgSchema()}.outbox`;
  const outboxChannel = `${names.id}_outbox`;
  const server = await startServer({
    endpoints: readEndpoints(),
    logger: createLogger({ level: process.env.TRIBUTARY_TEST_LOG ?? 'silent' }),
    port: 0,
    host: '127.0.0.1',
    blobs: options.blobs === 's3' ? 's3' : { folder: blobDir },
    settings: serverSettings(options.settings),
    // The throttle's counts are this test file's own.
    redisKeyPrefix: names.redisPrefix(),
    modules: [
      receiverModule({ maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024, outboxTable, outboxChannel }),
      ...(options.modules ?? []),
    ],
    ...(options.authenticator ? { authenticator: options.authenticator } : {}),
  });
  const service = {
    url: server.url,
    db: server.services.db,
    blobs: server.services.blobs,
    close: () => server.close(),
  };
  return {
    service,
    domain,
    users,
    outboxTable,
    outboxChannel,
    blobDir,
    close: async () => {
      await service.close();
      rmSync(blobDir, { recursive: true, force: true });
    },
  };
}
