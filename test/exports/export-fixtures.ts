/** Cases written straight into the primary store (fast, for exports of tens of thousands of rows), and an export of them. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureExportIndexes } from '../../connectors/postgres/export-reader.js';
import type { Database } from '../../connectors/postgres/postgres-pool.js';

/** `count` open household cases `<prefix>-000001`…, each with a village and a household size. */
export async function seedCases(db: Database, domain: string, count: number, prefix = 'case'): Promise<void> {
  await ensureExportIndexes(db);
  await db.none(
    `INSERT INTO tributary_store.cases (case_id, domain, case_type, owner_id, closed, deleted, version, event)
     SELECT id, $1, 'household', 'owner-' || (n % 7), false, false, 1, jsonb_build_object(
       'doc_id', id, 'domain', $1, 'doc_type', 'CommCareCase', 'version', 1, 'deleted', false,
       'changed_on', 1790000000000, 'case_type', 'household', 'name', 'Household ' || n, 'owner_id', 'owner-' || (n % 7),
       'opened_on', 1790000000000 + n * 1000, 'opened_by', 'u1', 'modified_on', 1790000000000 + n * 1000,
       'modified_by', 'u1', 'server_modified_on', 1790000000000, 'closed', false, 'closed_on', null,
       'closed_by', null, 'external_id', null, 'location_id', null,
       'properties', jsonb_build_object('village', 'Village ' || (n % 13), 'household_size', (n % 9 + 1)::text, 'note', '=1+' || n),
       'indices', '[]'::jsonb, 'xform_ids', '[]'::jsonb, 'change_source', 'form')
     FROM (SELECT n, $2 || '-' || lpad(n::text, 7, '0') AS id FROM generate_series(1, $3) AS n) s
     ON CONFLICT (case_id) DO NOTHING`,
    [domain, prefix, count],
  );
}

/** A folder with one case export of the domain's households, in the given format. */
export function householdExportFolder(
  domain: string,
  format: 'xlsx' | 'csv' | 'json',
  id = 'households',
): string {
  const folder = mkdtempSync(join(tmpdir(), 'tributary-exports-'));
  const column = (label: string, name: string) => ({
    doc_type: 'ExportColumn',
    label,
    selected: true,
    item: { path: [{ name }] },
  });
  writeFileSync(
    join(folder, `${id}.json`),
    JSON.stringify({
      doc_type: 'CaseExportInstance',
      _id: id,
      domain,
      name: 'Households',
      case_type: 'household',
      export_format: format,
      tables: [
        {
          label: 'Cases',
          selected: true,
          path: [],
          columns: [
            column('caseid', '_id'),
            column('name', 'name'),
            column('village', 'village'),
            column('household_size', 'household_size'),
            column('note', 'note'),
            column('opened_on', 'opened_on'),
          ],
        },
      ],
    }),
  );
  return folder;
}
