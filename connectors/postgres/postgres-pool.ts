/** One pg-promise database object per connection string and process, shared through Resources. */
import pgPromise, { type IDatabase, type IMain } from 'pg-promise';
import type { Resources } from '../../runtime/contract/index.js';

// Several resource pools may each hold a database object for the same URL (tests, several hosts).
export const pgp: IMain = pgPromise({ capSQL: true, noWarnings: true });

// int8 columns come back as strings by default; versions and counts fit in a JS bigint.
pgp.pg.types.setTypeParser(20, (value: string) => BigInt(value));

export type Database = IDatabase<unknown>;

export function postgresPool(resources: Resources, url: string, max = 10): Promise<Database> {
  return resources.get(
    `postgres:${url}`,
    () => pgp({ connectionString: url, max, application_name: 'tributary' }),
    (db) => db.$pool.end(),
  );
}
