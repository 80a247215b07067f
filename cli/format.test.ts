import { describe, expect, it } from 'vitest';
import { formatProbeTable, formatTable } from './format.js';

describe('formatTable', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(
      formatTable(
        ['A', 'BB', 'C'],
        [
          ['xxx', 'y', 'z z z'],
          ['', 'yyy', ''],
        ],
      ),
    ).toBe(['A    BB   C', 'xxx  y    z z z', '     yyy'].join('\n'));
  });

  it('marks an unreachable service DOWN with the reason', () => {
    const table = formatProbeTable([
      { service: 'redis', address: 'redis://127.0.0.1:6379', ok: false, detail: 'connect ECONNREFUSED' },
    ]);
    expect(table.split('\n')[1]).toBe('redis    DOWN   redis://127.0.0.1:6379  connect ECONNREFUSED');
  });
});
