/**
 * `npm run bench -- export`: a case export of 200,000 cases (20,000 with --quick) to xlsx and to csv,
 * through the queue and a worker (configuration, lookups, progress in Redis, S3 multipart upload),
 * against a bare loop of the same cursor read, writer and upload in the same run; peak RSS of the
 * worker process at 50,000 and 200,000 rows (10,000 and 20,000 with --quick); time from start to the
 * first progress update; and case import rows/s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEndpoints } from '../connectors/endpoints.js';
import { ensureExportIndexes } from '../connectors/postgres/export-reader.js';
import { pgp } from '../connectors/postgres/postgres-pool.js';
import { ratioSpread, spread } from './spread.js';
import type { ScenarioResult } from './scenario-result.js';
import { benchCaseImport } from './export-import.js';

const child = fileURLToPath(new URL('./export-child.js', import.meta.url));

function exportFolder(domain: string, format: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'bench-exports-'));
  const column = (label: string, name: string, transform?: string) => ({
    doc_type: 'ExportColumn',
    label,
    selected: true,
    item: { path: [{ name }], ...(transform ? { transform } : {}) },
  });
  writeFileSync(
    join(folder, 'bench.json'),
    JSON.stringify({
      doc_type: 'CaseExportInstance',
      _id: 'bench',
      domain,
      name: 'Bench households',
      case_type: 'household',
      export_format: format,
      tables: [
        {
          label: 'Cases',
          selected: true,
          columns: [
            column('caseid', '_id'),
            column('name', 'name'),
            column('village', 'village'),
            column('household_size', 'household_size'),
            column('owner', 'owner_id', 'owner_id_transform'),
            column('opened_on', 'opened_on'),
            column('closed', 'closed'),
          ],
        },
      ],
    }),
  );
  return folder;
}

async function seed(domain: string, count: number): Promise<void> {
  const db = pgp({ connectionString: readEndpoints().DATABASE_URL, max: 2 });
  try {
    await ensureExportIndexes(db);
    await db.none(
      `INSERT INTO tributary_store.cases (case_id, domain, case_type, owner_id, closed, deleted, version, event)
       SELECT id, $1, 'household', 'owner-' || (n % 7), false, false, 1, jsonb_build_object(
         'doc_id', id, 'domain', $1, 'doc_type', 'CommCareCase', 'version', 1, 'deleted', false, 'changed_on', 1790000000000,
         'case_type', 'household', 'name', 'Household ' || n, 'owner_id', 'owner-' || (n % 7), 'opened_on', 1790000000000 + n * 1000,
         'opened_by', 'u1', 'modified_on', 1790000000000 + n * 1000, 'modified_by', 'u1', 'server_modified_on', 1790000000000,
         'closed', false, 'closed_on', null, 'closed_by', null, 'external_id', null, 'location_id', null,
         'properties', jsonb_build_object('village', 'Village ' || (n % 13), 'household_size', (n % 9 + 1)::text),
         'indices', '[]'::jsonb, 'xform_ids', '[]'::jsonb, 'change_source', 'form')
       FROM (SELECT n, $1 || '-' || lpad(n::text, 7, '0') AS id FROM generate_series(1, $2) AS n) s ON CONFLICT DO NOTHING`,
      [domain, count],
    );
  } finally {
    await db.$pool.end();
  }
}

async function drop(domains: string[]): Promise<void> {
  const db = pgp({ connectionString: readEndpoints().DATABASE_URL, max: 1 });
  await db
    .none('DELETE FROM tributary_store.cases WHERE domain = ANY($1)', [domains])
    .finally(() => db.$pool.end());
}

interface ChildRun {
  documents: number;
  seconds: number;
  rowsPerSecond: number;
  firstProgressMs: number | null;
  maxRssKiB: number;
}

function run(mode: 'task' | 'bare', format: string, domain: string, prefix: string): ChildRun {
  const out = execFileSync(
    process.execPath,
    [child, mode, format, domain, prefix, exportFolder(domain, format)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as ChildRun;
}

export async function exportScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const started = performance.now();
  const big = options.quick ? 20_000 : 200_000;
  const small = options.quick ? 10_000 : 50_000;
  const repeats = options.quick ? 1 : 2;
  const tag = `bench-export-${Date.now().toString(36)}`;
  const [bigDomain, smallDomain] = [`${tag}-big`, `${tag}-small`];
  const prefix = `${tag}`;
  options.log(`export: seeding ${big} and ${small} cases`);
  await seed(bigDomain, big);
  await seed(smallDomain, small);
  const figures: ScenarioResult['figures'] = {};
  const ratios: ScenarioResult['ratios'] = {};
  const peakRssMiB: Record<string, number> = {};
  try {
    for (const format of ['xlsx', 'csv']) {
      const task: number[] = [];
      const bare: number[] = [];
      const first: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const t = run('task', format, bigDomain, prefix);
        const b = run('bare', format, bigDomain, prefix);
        options.log(
          `export ${format}: task ${Math.round(t.rowsPerSecond)} rows/s (${t.maxRssKiB >> 10} MiB), bare ${Math.round(b.rowsPerSecond)} rows/s`,
        );
        task.push(t.rowsPerSecond);
        bare.push(b.rowsPerSecond);
        if (t.firstProgressMs !== null) first.push(t.firstProgressMs);
        peakRssMiB[`worker-${format}-${big}`] = Math.max(
          peakRssMiB[`worker-${format}-${big}`] ?? 0,
          t.maxRssKiB >> 10,
        );
        peakRssMiB[`bare-${format}-${big}`] = Math.max(
          peakRssMiB[`bare-${format}-${big}`] ?? 0,
          b.maxRssKiB >> 10,
        );
      }
      figures[`${format}.task.rowsPerSecond`] = { ...spread(task), unit: 'rows/s' };
      figures[`${format}.bare.rowsPerSecond`] = { ...spread(bare), unit: 'rows/s' };
      if (first.length) figures[`${format}.firstProgressMs`] = { ...spread(first), unit: 'ms' };
      ratios[`${format}.taskToBare`] = {
        ...ratioSpread(task, bare),
        of: `${format}.task.rowsPerSecond`,
        to: `${format}.bare.rowsPerSecond`,
      };
    }
    const smallRun = run('task', 'xlsx', smallDomain, prefix);
    peakRssMiB[`worker-xlsx-${small}`] = smallRun.maxRssKiB >> 10;
    options.log(`export xlsx ${small} rows: peak RSS ${smallRun.maxRssKiB >> 10} MiB`);
    const imported = await benchCaseImport(options.quick ? 2_000 : 10_000, `${tag}-import`, prefix);
    figures['import.rowsPerSecond'] = { ...spread([imported.rowsPerSecond]), unit: 'rows/s' };
    options.log(`case import: ${Math.round(imported.rowsPerSecond)} rows/s`);
  } finally {
    await drop([bigDomain, smallDomain, `${tag}-import`]);
  }
  return {
    scenario: 'export',
    figures,
    ratios,
    peakRssMiB,
    headline: ['xlsx.task.rowsPerSecond', 'csv.task.rowsPerSecond', 'import.rowsPerSecond'],
    seconds: (performance.now() - started) / 1000,
    setup: { cases: big, smallCases: small, repeats, pageSize: 1000, partMiB: 8 },
  };
}
