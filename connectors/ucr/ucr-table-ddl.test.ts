import { describe, expect, it } from 'vitest';
import type { UcrColumn } from '../../commcare/ucr/contract.js';
import { ucrInPlaceMigration, ucrRenameTableDdl, ucrTableDdl, type UcrTableShape } from './ucr-table-ddl.js';

const column = (id: string, datatype: UcrColumn['datatype'], extra: Partial<UcrColumn> = {}): UcrColumn => ({
  id,
  datatype,
  nullable: true,
  primaryKey: false,
  createIndex: false,
  ...extra,
});

const repeatShape: UcrTableShape = {
  columns: [
    column('doc_id', 'string', { nullable: false, primaryKey: true }),
    column('inserted_at', 'datetime', { nullable: false, createIndex: true }),
    column('repeat_iteration', 'integer', { nullable: false, primaryKey: true }),
    column('child_name', 'string', { createIndex: true }),
    column('age_months', 'integer'),
    column('weight', 'decimal', { nullable: false }),
    column('small', 'small_integer'),
    column('visit', 'date'),
    column('seen_at', 'datetime'),
    column('tags', 'array'),
    column('flag', 'boolean'),
  ],
  primaryKey: ['doc_id', 'repeat_iteration'],
  indexes: [['child_name', 'age_months'], ['unknown_column']],
};

describe('UCR table DDL', () => {
  const [, , create, ...rest] = ucrTableDdl('demo_child_rows_a1b2c3d4', repeatShape);

  it('maps every datatype to its column type of the reference (§8), with NOT NULL and the primary key', () => {
    expect(create).toBe(
      'CREATE TABLE IF NOT EXISTS "tributary_ucr"."demo_child_rows_a1b2c3d4" (' +
        '"doc_id" text NOT NULL, "inserted_at" timestamp without time zone NOT NULL, "repeat_iteration" integer NOT NULL, ' +
        '"child_name" text, "age_months" integer, "weight" numeric(64,16) NOT NULL, "small" smallint, "visit" date, ' +
        '"seen_at" timestamp without time zone, "tags" text[], "flag" boolean, ' +
        'CONSTRAINT "demo_child_rows_a1b2c3d4_pkey" PRIMARY KEY ("doc_id", "repeat_iteration"))',
    );
  });

  it('indexes create_index columns, inserted_at and sql_column_indexes, skipping unknown columns', () => {
    const indexes = rest.filter((s) => s.startsWith('CREATE INDEX'));
    expect(indexes).toEqual([
      'CREATE INDEX IF NOT EXISTS "demo_child_rows_a1b2c3d4_ix_inserted_at" ON "tributary_ucr"."demo_child_rows_a1b2c3d4" ("inserted_at")',
      'CREATE INDEX IF NOT EXISTS "demo_child_rows_a1b2c3d4_ix_child_name" ON "tributary_ucr"."demo_child_rows_a1b2c3d4" ("child_name")',
      'CREATE INDEX IF NOT EXISTS "demo_child_rows_a1b2c3d4_ix_child_name_age_months" ON "tributary_ucr"."demo_child_rows_a1b2c3d4" ("child_name", "age_months")',
    ]);
  });

  it('creates a version table beside it, keyed by doc_id', () => {
    expect(rest.at(-1)).toBe(
      'CREATE TABLE IF NOT EXISTS "tributary_ucr_versions"."demo_child_rows_a1b2c3d4" (doc_id text, version bigint NOT NULL, CONSTRAINT "demo_child_rows_a1b2c3d4_pkey" PRIMARY KEY (doc_id))',
    );
  });

  it('quotes column ids, so a column id cannot break out of its name', () => {
    const shape: UcrTableShape = {
      ...repeatShape,
      columns: [...repeatShape.columns, column('x"); DROP TABLE t; --', 'string')],
    };
    expect(ucrTableDdl('t_x_a1b2c3d4', shape)[2]).toContain('"x""); DROP TABLE t; --" text');
  });

  it('migrates in place when only nullable columns and indexes are added', () => {
    const after: UcrTableShape = {
      ...repeatShape,
      columns: [...repeatShape.columns, column('village', 'string', { createIndex: true })],
    };
    expect(ucrInPlaceMigration('t', repeatShape, after)).toEqual([
      'ALTER TABLE "tributary_ucr"."t" ADD COLUMN IF NOT EXISTS "village" text',
      'CREATE INDEX IF NOT EXISTS "t_ix_village" ON "tributary_ucr"."t" ("village")',
    ]);
  });

  it('needs a rebuild for a new NOT NULL column, a changed type, a removed column or a new key', () => {
    const changed = (columns: readonly UcrColumn[], primaryKey = repeatShape.primaryKey): UcrTableShape => ({
      ...repeatShape,
      columns,
      primaryKey,
    });
    expect(
      ucrInPlaceMigration(
        't',
        repeatShape,
        changed([...repeatShape.columns, column('v', 'string', { nullable: false })]),
      ),
    ).toBeUndefined();
    expect(
      ucrInPlaceMigration(
        't',
        repeatShape,
        changed(repeatShape.columns.map((c) => (c.id === 'age_months' ? column('age_months', 'string') : c))),
      ),
    ).toBeUndefined();
    expect(ucrInPlaceMigration('t', repeatShape, changed(repeatShape.columns.slice(0, -1)))).toBeUndefined();
    expect(ucrInPlaceMigration('t', repeatShape, changed(repeatShape.columns, ['doc_id']))).toBeUndefined();
  });

  it('renames a table with its key, indexes and version table', () => {
    expect(ucrRenameTableDdl('a_t_11111111', 'a_t_22222222', repeatShape)).toContain(
      'ALTER INDEX IF EXISTS "tributary_ucr"."a_t_11111111_ix_child_name" RENAME TO "a_t_22222222_ix_child_name"',
    );
  });
});
