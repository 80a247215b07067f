import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ucrCheckCommand } from './ucr-check.js';

const fixtures = fileURLToPath(new URL('../../test/commcare/fixtures/', import.meta.url));

async function check(folder: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await ucrCheckCommand(
    [folder],
    (line) => out.push(line),
    (line) => err.push(line),
  );
  return { code, out, err };
}

describe('tributary ucr check', () => {
  it('passes a folder exported from CommCare (builder reports, static wrappers, reports naming the data source _id)', async () => {
    const { code, out } = await check(join(fixtures, 'commcare-export'));
    expect(out).toEqual([
      'OK    data-source-pregnancy.json (data source)',
      'OK    report-builder-pregnancy.json (report)',
      'OK    static/static-visits-report.json (report)',
      'OK    static/static-visits.json (data source)',
      'ucr check: 4 files (2 data sources, 2 reports): 4 supported, 0 not supported',
    ]);
    expect(code).toBe(0);
  });

  it('names the path and type of what is not supported and exits 1', async () => {
    const { code, out } = await check(join(fixtures, 'unsupported'));
    expect(out).toEqual([
      'FAIL  custom-expression.json (data source)',
      '      $.configured_indicators[0].expression.type: expected a known expression type (got "icds_age_in_months")',
      'FAIL  report-conditional-aggregation.json (report)',
      '      $.columns[0].type: expected one of field|percent|aggregate_date|expanded|integer_buckets|sum_when|expression|location, got "conditional_aggregation"',
      'ucr check: 2 files (1 data sources, 1 reports): 0 supported, 2 not supported',
    ]);
    expect(code).toBe(1);
  });

  it('reports a report whose data source is not in the folder, files that are not JSON, and unknown documents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ucr-check-'));
    writeFileSync(
      join(dir, 'r.json'),
      JSON.stringify({
        domain: 'd',
        config_id: 'gone',
        columns: [{ type: 'field', field: 'x', aggregation: 'simple' }],
      }),
    );
    writeFileSync(join(dir, 'broken.json'), '{ nope');
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}');
    const { code, out } = await check(dir);
    expect(out[0]).toMatch(/^FAIL {2}broken\.json \(unknown\)$/);
    expect(out[1]).toMatch(/^ {6}\$: expected a JSON document/);
    expect(out).toContain(
      '      $: expected a data source (referenced_doc_type, configured_indicators) or a report (config_id, columns)',
    );
    expect(out).toContain('      $.config_id: no data source with _id or table_id "gone" in the folder');
    expect(code).toBe(1);
  });

  it('exits 2 without a folder or with a path that is not one', async () => {
    expect(
      await ucrCheckCommand(
        [],
        () => {},
        () => {},
      ),
    ).toBe(2);
    expect((await check(join(fixtures, 'nope'))).code).toBe(2);
  });
});
