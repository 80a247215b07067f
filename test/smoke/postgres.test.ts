import pgPromise from 'pg-promise';
import { afterAll, describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const schema = names.pgSchema();
const pgp = pgPromise();
const db = pgp({ connectionString: readEndpoints().DATABASE_URL, max: 4 });

afterAll(async () => {
  await db.none('drop schema if exists $1:name cascade', [schema]);
  pgp.end();
});

describe('PostgreSQL', () => {
  it('commits a transaction as a whole and rolls a failed one back as a whole', async () => {
    await db.none('create schema $1:name', [schema]);
    await db.none(
      'create table $1:name.cases (case_id text primary key, version int not null, props jsonb)',
      [schema],
    );

    await db.tx(async (t) => {
      await t.none('insert into $1:name.cases values ($2, 1, $3)', [schema, 'c1', { name: 'Ada' }]);
      await t.none('insert into $1:name.cases values ($2, 1, $3)', [schema, 'c2', { name: 'Bo' }]);
    });
    const failed = db.tx(async (t) => {
      await t.none('insert into $1:name.cases values ($2, 1, $3)', [schema, 'c3', {}]);
      await t.none('insert into $1:name.cases values ($2, 1, $3)', [schema, 'c1', {}]); // duplicate key
    });
    await expect(failed).rejects.toThrow(/duplicate key/);

    const rows = await db.any<{ case_id: string; name: string }>(
      "select case_id, props->>'name' as name from $1:name.cases order by case_id",
      [schema],
    );
    expect(rows).toEqual([
      { case_id: 'c1', name: 'Ada' },
      { case_id: 'c2', name: 'Bo' },
    ]);
  });

  it('never lets an older version overwrite a newer one with a conditional upsert', async () => {
    const upsert = (version: number, name: string) =>
      db.result(
        `insert into $1:name.cases as c values ('c9', $2, $3)
         on conflict (case_id) do update set version = excluded.version, props = excluded.props
         where c.version < excluded.version`,
        [schema, version, { name }],
      );
    await upsert(2, 'new');
    const stale = await upsert(1, 'old');
    expect(stale.rowCount).toBe(0);
    const row = await db.one<{ version: number; name: string }>(
      "select version, props->>'name' as name from $1:name.cases where case_id = 'c9'",
      [schema],
    );
    expect(row).toEqual({ version: 2, name: 'new' });
  });
});
