/**
 * Assembles `tributary serve`'s HTTP surface from the endpoints: the services route modules share
 * (the primary store in PostgreSQL, the blob store, the user directory in CouchDB behind Redis),
 * the modules themselves, and the one server that mounts them on one port.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from '../runtime/contract/index.js';
import type { Endpoints } from '../connectors/endpoints.js';
import { FilesystemBlobStore, S3BlobStore, type BlobStore } from '../connectors/blob/blob-store.js';
import { s3Location } from '../connectors/blob/s3-client.js';
import { CouchUserDirectory, type UserDirectory } from '../connectors/couchdb/user-directory.js';
import { pgp, type Database } from '../connectors/postgres/postgres-pool.js';
import { AuthThrottle } from './auth/auth-throttle.js';
import { DirectoryAuthenticator } from './auth/directory-authenticator.js';
import { createHttpServer, type Authenticator } from './http/http-server.js';
import type { RouteModule } from './http/route.js';
import type { Router } from './http/router.js';
import { readServerSettings, type ServerSettings } from './server-settings.js';

/** What every route module may use; created once per server. */
export interface ServerServices {
  endpoints: Endpoints;
  logger: Logger;
  /** The primary store (forms, cases, outbox) and the UCR tables. */
  db: Database;
  blobs: BlobStore;
  directory: UserDirectory;
  /** A cache: commands fail fast while it is down rather than queue. */
  redis: Redis;
  /** Security and size limits (server-settings.ts). */
  settings: ServerSettings;
}

/** Builds a route module once the shared services exist (creating its tables, loading its files…). */
export type RouteModuleFactory = (services: ServerServices) => RouteModule | Promise<RouteModule>;

export interface ServerOptions {
  endpoints: Endpoints;
  logger: Logger;
  port: number;
  host: string;
  /** `s3` for the S3-API server of the endpoints, or a folder path for the filesystem store. */
  blobs: 's3' | { folder: string };
  modules: readonly RouteModuleFactory[];
  /** PostgreSQL connections of the server. */
  poolSize?: number;
  usersDatabase?: string;
  domainsDatabase?: string;
  /** Who may call `domain-user` routes; HTTP Basic or API keys of the directory's users by default. */
  authenticator?: (services: ServerServices) => Authenticator;
  /** Read from the environment (readServerSettings) when absent. */
  settings?: ServerSettings;
  /** Prefix of the server's own Redis keys (the throttle's counts); `tributary:` by default. */
  redisKeyPrefix?: string;
}

export interface RunningServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  services: ServerServices;
  router: Router;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const services = await openServices(options);
  const modules: RouteModule[] = [];
  try {
    for (const factory of options.modules) modules.push(await factory(services));
  } catch (error) {
    await closeServices(services, modules);
    throw error;
  }
  const authenticator = options.authenticator?.(services) ?? defaultAuthenticator(services, options);
  const { server, router } = createHttpServer({ modules, authenticator, logger: options.logger });
  await listen(server, options.port, options.host);
  const address = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`;
  options.logger.info(
    { url, modules: modules.map((m) => m.name), blobs: services.blobs.location },
    'The server is listening.',
  );
  return {
    url,
    services,
    router,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await closeServices(services, modules);
    },
  };
}

/** The directory's users, failed attempts throttled in Redis as the settings say. */
function defaultAuthenticator(services: ServerServices, options: ServerOptions): Authenticator {
  const { settings } = services;
  const throttle = new AuthThrottle(
    services.redis,
    {
      perUser: {
        maxFailures: settings.TRIBUTARY_AUTH_USER_MAX_FAILURES,
        windowSeconds: settings.TRIBUTARY_AUTH_USER_WINDOW_SECONDS,
      },
      perAddress: {
        maxFailures: settings.TRIBUTARY_AUTH_ADDRESS_MAX_FAILURES,
        windowSeconds: settings.TRIBUTARY_AUTH_ADDRESS_WINDOW_SECONDS,
      },
      keyPrefix: `${options.redisKeyPrefix ?? 'tributary:'}auth:`,
    },
    services.logger,
  );
  return new DirectoryAuthenticator(services.directory, {
    throttle,
    trustForwardedFor: settings.TRIBUTARY_TRUST_FORWARDED_FOR,
  });
}

async function openServices(options: ServerOptions): Promise<ServerServices> {
  const { endpoints, logger } = options;
  // Read first: a bad variable fails the start before any connection is opened.
  const settings = options.settings ?? readServerSettings();
  const db = pgp({
    connectionString: endpoints.DATABASE_URL,
    max: options.poolSize ?? 16,
    application_name: 'tributary-server',
  });
  const blobs: BlobStore =
    options.blobs === 's3'
      ? new S3BlobStore(s3Location(endpoints))
      : new FilesystemBlobStore(options.blobs.folder);
  // Redis only caches here: fail fast rather than queue while it is down.
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
  return { endpoints, logger, db, blobs, directory, redis, settings };
}

async function closeServices(services: ServerServices, modules: readonly RouteModule[]): Promise<void> {
  for (const module of [...modules].reverse()) await module.close?.().catch(() => undefined);
  services.redis.disconnect();
  await services.db.$pool.end();
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}
