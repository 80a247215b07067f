import { describe, expect, it } from 'vitest';
import { parseExportInstance } from './export-instance.js';
import { exportQuery } from './export-query.js';
import { neutraliseFormula } from './index.js';

const instance = (filters: unknown = null) =>
  parseExportInstance(
    {
      doc_type: 'CaseExportInstance',
      _id: 'e',
      domain: 'demo',
      name: 'n',
      case_type: 'household',
      filters,
      tables: [{ label: 'Cases', selected: true, columns: [] }],
    },
    'e.json',
  );

describe('exportQuery', () => {
  it('reads dates as an inclusive day range, owners from groups and locations, and status', () => {
    expect(
      exportQuery(
        instance(),
        {
          date_start: '2026-10-01',
          date_end: '2026-10-02',
          groups: 'g1',
          locations: 'l1,l2',
          status: 'open',
        },
        0,
      ),
    ).toEqual({
      kind: 'case',
      domain: 'demo',
      identifier: 'household',
      dateFrom: Date.parse('2026-10-01T00:00:00Z'),
      dateTo: Date.parse('2026-10-03T00:00:00Z'),
      userIds: [],
      ownerIds: ['g1', 'l1', 'l2'],
      status: 'open',
    });
  });

  it('applies a saved date period of the last N days', () => {
    const now = Date.parse('2026-11-30T00:00:00Z');
    const query = exportQuery(instance({ date_period: { period_type: 'last', days: 7 } }), {}, now);
    expect(query.dateFrom).toBe(now - 7 * 86_400_000);
  });

  it('refuses a bad date, an unknown status and an unknown parameter naming it', () => {
    expect(() => exportQuery(instance(), { date_start: '01/10/2026' }, 0)).toThrow(
      'date_start: expected a date',
    );
    expect(() => exportQuery(instance(), { status: 'closd' }, 0)).toThrow(
      'status: expected all, open or closed',
    );
    expect(() => exportQuery(instance(), { user: 'u1' }, 0)).toThrow('user: unknown filter');
  });
});

describe('neutraliseFormula', () => {
  it('prefixes text a spreadsheet would run as a formula, and leaves other text alone', () => {
    expect(['=1+1', '+1', '-2+3', '@SUM(A1)', '\tx', 'plain', ''].map(neutraliseFormula)).toEqual([
      "'=1+1",
      // A plain number is no formula: it stays a number.
      '+1',
      "'-2+3",
      "'@SUM(A1)",
      "'\tx",
      'plain',
      '',
    ]);
  });
});
