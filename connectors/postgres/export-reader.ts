/**
 * Reads an export's documents from the primary store: a count first (so progress has a total), then
 * pages in id order by keyset pagination (`id > last id`), each row turned into the CommCare
 * document exports are written against. Every value is a bound parameter.
 */
import { caseEventToDoc, formEventToDoc } from '../../commcare/ucr/commcare-docs.js';
import type { ExportQuery } from '../../commcare/exports/index.js';
import type { Case } from '../../schemas/generated/case.js';
import type { Form } from '../../schemas/generated/form.js';
import { createConcurrently } from './create-concurrently.js';
import type { Database } from './postgres-pool.js';
import { pgp } from './postgres-pool.js';
import { ensurePrimaryStore, primaryStoreTables as T } from './primary-store.js';

type Json = Record<string, unknown>;

/** Keyset pagination walks these indexes in id order within one case type or xmlns. */
export async function ensureExportIndexes(db: Database): Promise<void> {
  await ensurePrimaryStore(db);
  await createConcurrently(db, [
    `CREATE INDEX IF NOT EXISTS cases_export_keyset ON ${T.cases} (domain, case_type, case_id)`,
    `CREATE INDEX IF NOT EXISTS forms_export_keyset ON ${T.forms} (domain, xmlns, form_id)`,
  ]);
}

/** The WHERE clause (formatted with bound values) of a query, without the keyset condition. */
export function exportWhere(query: ExportQuery): string {
  const parts: string[] = [];
  const add = (sql: string, values: unknown[]) => parts.push(pgp.as.format(sql, values));
  if (query.kind === 'case') {
    add('domain = $1 AND case_type = $2 AND NOT deleted', [query.domain, query.identifier]);
    if (query.status !== 'all') add('closed = $1', [query.status === 'closed']);
    const owners = [...query.ownerIds, ...query.userIds];
    if (owners.length) add('owner_id = ANY($1::text[])', [owners]);
    if (query.dateFrom !== null) add("(event->>'modified_on')::bigint >= $1", [query.dateFrom]);
    if (query.dateTo !== null) add("(event->>'modified_on')::bigint < $1", [query.dateTo]);
  } else {
    add("domain = $1 AND xmlns = $2 AND state = 'normal'", [query.domain, query.identifier]);
    const users = [...query.userIds, ...query.ownerIds];
    if (users.length) add('user_id = ANY($1::text[])', [users]);
    if (query.dateFrom !== null) add('received_on >= to_timestamp($1 / 1000.0)', [query.dateFrom]);
    if (query.dateTo !== null) add('received_on < to_timestamp($1 / 1000.0)', [query.dateTo]);
  }
  return parts.join(' AND ');
}

export async function countExportDocuments(db: Database, query: ExportQuery): Promise<number> {
  const table = query.kind === 'case' ? T.cases : T.forms;
  const row = await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM ${table} WHERE ${exportWhere(query)}`);
  return Number(row.n);
}

/** Pages of CommCare documents in id order; each page is read only when the previous one is consumed. */
export async function* readExportDocuments(
  db: Database,
  query: ExportQuery,
  pageSize: number,
): AsyncGenerator<Json[]> {
  const isCase = query.kind === 'case';
  const table = isCase ? T.cases : T.forms;
  const id = isCase ? 'case_id' : 'form_id';
  const where = exportWhere(query);
  let last: string | null = null;
  for (;;) {
    const keyset: string = last === null ? '' : pgp.as.format(` AND ${id} > $1`, [last]);
    const rows: { id: string; event: Json }[] = await db.any<{ id: string; event: Json }>(
      `SELECT ${id} AS id, event FROM ${table} WHERE ${where}${keyset} ORDER BY ${id} LIMIT $1`,
      [pageSize],
    );
    if (rows.length === 0) return;
    last = rows[rows.length - 1]!.id;
    yield rows.map((row) =>
      isCase ? caseEventToDoc(row.event as unknown as Case) : formEventToDoc(row.event as unknown as Form),
    );
    if (rows.length < pageSize) return;
  }
}

/** Case names by id, for case_name_transform (one query per page). */
export async function caseNames(
  db: Database,
  domain: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.any<{ case_id: string; name: string | null }>(
    `SELECT case_id, event->>'name' AS name FROM ${T.cases} WHERE domain = $1 AND case_id = ANY($2::text[])`,
    [domain, ids],
  );
  return new Map(rows.filter((r) => r.name !== null).map((r) => [r.case_id, r.name!]));
}
