import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileDataSource } from '../ucr/index.js';
import { compileReport } from './compile-report.js';
import { parseReportConfig } from './report-config.js';

// The shipped reports must compile against the shipped data sources' columns, so a renamed
// indicator fails here instead of answering 500 in production.
const ucrDir = fileURLToPath(new URL('../../pipelines/ucr/', import.meta.url));
const reportsDir = `${ucrDir}reports/`;
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

function dataSourceColumns(domain: string, tableId: string) {
  for (const file of readdirSync(ucrDir).filter((name) => name.endsWith('.json'))) {
    const raw = readJson(`${ucrDir}${file}`) as { config?: unknown };
    const config = (raw.config ?? raw) as { domain?: string; table_id?: string };
    if (config.table_id === tableId && (config.domain === undefined || config.domain === domain)) {
      return compileDataSource({ ...config, domain }, { path: file }).columns;
    }
  }
  throw new Error(`no data source with table_id ${tableId} in pipelines/ucr`);
}

const reportFiles = readdirSync(reportsDir).filter((name) => name.endsWith('.json'));

describe('shipped report configurations', () => {
  it('ships the three demo reports', () => {
    expect(reportFiles.sort()).toEqual([
      'households-by-village.json',
      'medications-taken.json',
      'open-cases-by-owner.json',
    ]);
  });

  it.each(reportFiles)('%s compiles against its data source', (file) => {
    const raw = readJson(`${reportsDir}${file}`) as { _id: string };
    expect(raw._id).toBe(file.replace(/\.json$/, ''));
    const config = parseReportConfig(raw, raw._id);
    const report = compileReport(config, dataSourceColumns(config.domain, config.config_id), raw._id);
    expect(
      report.plan({ params: new URLSearchParams(), limit: 10, offset: 0 }, new Map()).data.text,
    ).toContain(`FROM "tributary_ucr"."demo_${config.config_id}"`);
  });
});
