/**
 * One pg-promise database object per connection string and process, shared through Resources;
 * and the connection fields every PostgreSQL component declares (like Redpanda Connect's
 * `conn_fields.go`), so `url` and `poolSize` are written, described and defaulted once.
 */
import pgPromise, { type IDatabase, type IMain } from 'pg-promise';
import { z } from 'zod';
import type { ComponentContext, Resources } from '../../runtime/contract/index.js';

// Several resource pools may each hold a database object for the same URL (tests, several hosts).
export const pgp: IMain = pgPromise({ capSQL: true, noWarnings: true });

// int8 columns come back as strings by default; versions and counts fit in a JS bigint.
pgp.pg.types.setTypeParser(20, (value: string) => BigInt(value));

export type Database = IDatabase<unknown>;

/** `url` and `poolSize`: spread into a component's zod config (`z.object({ ...postgresConnectionFields, … })`). */
export const postgresConnectionFields = {
  url: z
    .string()
    .optional()
    .describe('PostgreSQL connection string; DATABASE_URL (or the local stack) when absent.'),
  poolSize: z
    .number()
    .int()
    .positive()
    .default(10)
    .describe(
      'Connections in the pool this process shares for the same URL (the first component to open it sets the size).',
    ),
};

export interface PostgresConnection {
  url?: string | undefined;
  poolSize: number;
}

/** The shared pool for a component's connection fields, DATABASE_URL from its context when no `url`. */
export function postgresPoolOf(
  connection: PostgresConnection,
  ctx: Pick<ComponentContext, 'resources' | 'endpoints'>,
): Promise<Database> {
  return postgresPool(ctx.resources, connection.url ?? ctx.endpoints.DATABASE_URL, connection.poolSize);
}

export function postgresPool(resources: Resources, url: string, max = 10): Promise<Database> {
  return resources.get(
    `postgres:${url}`,
    () => pgp({ connectionString: url, max, application_name: 'tributary' }),
    (db) => db.$pool.end(),
  );
}
