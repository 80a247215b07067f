import { describe, expect, it } from 'vitest';
import { ucrStatusReport, type UcrStatus } from '../connectors/ucr/ucr-status.js';
import { formatComponentStatuses } from './component-status.js';

const at = new Date(Date.UTC(2026, 10, 29, 9, 0, 0));

const status: UcrStatus = {
  tables: [
    {
      pipeline: 'ucr-to-postgres',
      domain: 'demo',
      tableId: 'visits',
      view: 'demo_visits',
      state: 'live',
      physicalTable: 'demo_visits_a1b2c3d4',
      definitionHash: 'a1b2c3d4e5',
      rows: 1200,
      builtDocuments: null,
      createdAt: at,
      builtAt: at,
      swappedAt: at,
      dropAfter: null,
      error: null,
    },
    {
      pipeline: 'ucr-to-postgres',
      domain: 'demo',
      tableId: 'visits',
      view: 'demo_visits',
      state: 'building',
      physicalTable: 'demo_visits_0f0f0f0f',
      definitionHash: '0f0f0f0f',
      rows: null,
      builtDocuments: 40,
      createdAt: at,
      builtAt: null,
      swappedAt: null,
      dropAfter: null,
      error: 'connection reset',
    },
  ],
  configErrors: [
    {
      pipeline: 'ucr-to-postgres',
      origin: 'file:bad.json',
      domain: 'demo',
      tableId: 'x y',
      error: 'table_id "x y" is not allowed',
      seenAt: at,
    },
  ],
};

describe('tributary status of a pipeline with a ucr-catalog', () => {
  it('prints each table of each data source with its state, build progress, rows, build times and error', () => {
    const text = formatComponentStatuses({ 'resources.ucr': ucrStatusReport(status) });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^UCR DATA SOURCE\s+PIPELINE\s+STATE\s+ROWS\s+TABLE\s+LAST BUILD\s+SWAPPED\s+ERROR$/,
    );
    expect(lines[1]).toMatch(
      /^demo\/visits\s+ucr-to-postgres\s+live\s+1200\s+demo_visits_a1b2c3d4\s+2026-11-29T09:00:00Z\s+2026-11-29T09:00:00Z$/,
    );
    expect(lines[2]).toMatch(
      /building \(40 docs read\)\s+-\s+demo_visits_0f0f0f0f\s+-\s+-\s+connection reset$/,
    );
    expect(text).toContain('file:bad.json');
    expect(text).toContain('table_id "x y" is not allowed');
  });

  it('says so when there are no data sources', () => {
    expect(
      formatComponentStatuses({ 'resources.ucr': ucrStatusReport({ tables: [], configErrors: [] }) }),
    ).toBe('UCR: no data sources; not consuming until one is configured.');
  });

  it('says the pipeline is not consuming when every configuration was refused', () => {
    const text = formatComponentStatuses({
      'resources.ucr': ucrStatusReport({ tables: [], configErrors: status.configErrors }),
    });
    expect(text.split('\n')[0]).toMatch(/^Not consuming: no usable UCR data source/);
    expect(text).toContain('table_id "x y" is not allowed');
  });

  it('says which component could not answer and why', () => {
    expect(formatComponentStatuses({ 'resources.ucr': { error: 'connect ECONNREFUSED' } })).toBe(
      'resources.ucr: status unknown (connect ECONNREFUSED)',
    );
  });
});
