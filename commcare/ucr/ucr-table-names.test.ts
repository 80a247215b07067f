import { describe, expect, it } from 'vitest';
import {
  quoteIdentifier,
  truncateIdentifier,
  ucrPhysicalTableName,
  ucrViewName,
  validateUcrIdentifier,
} from './ucr-table-names.js';

const hash = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe('UCR table names', () => {
  it('names the physical table <domain>_<table_id>_<first 8 hex of the definition hash>', () => {
    expect(ucrPhysicalTableName('demo-health', 'child_rows', hash)).toBe('demo-health_child_rows_a1b2c3d4');
  });

  it('names the view <domain>_<table_id>', () => {
    expect(ucrViewName('demo-health', 'child_rows')).toBe('demo-health_child_rows');
  });

  it('keeps the left part of a name over 63 bytes and ends it with _ and 8 hex of its sha1', () => {
    const long = `${'d'.repeat(40)}_${'t'.repeat(40)}`;
    const name = truncateIdentifier(long);
    expect(Buffer.byteLength(name)).toBe(63);
    expect(name.startsWith('d'.repeat(40))).toBe(true);
    expect(name).toMatch(/^d{40}_t{13}_[0-9a-f]{8}$/);
    // Two long names differing only at the end stay distinct.
    expect(truncateIdentifier(`${long}x`)).not.toBe(truncateIdentifier(`${long}y`));
  });

  it('leaves names of 63 bytes or less alone', () => {
    expect(truncateIdentifier('x'.repeat(63))).toBe('x'.repeat(63));
  });

  it.each(['cases"; DROP TABLE users; --', 'a.b', 'a b', "o'brien", '', 'naïve', 'x\u0000y'])(
    'refuses %j as a domain or table id',
    (value) => {
      expect(() => validateUcrIdentifier('table_id', value)).toThrow(/not allowed/);
      expect(() => ucrViewName('demo', value)).toThrow(/not allowed/);
      expect(() => ucrPhysicalTableName(value, 'cases', hash)).toThrow(/not allowed/);
    },
  );

  it('refuses a definition hash that is not hex', () => {
    expect(() => ucrPhysicalTableName('demo', 'cases', 'zz"; --')).toThrow(/not hex/);
  });

  it('quotes identifiers, doubling embedded quotes', () => {
    expect(quoteIdentifier('my-table')).toBe('"my-table"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
  });
});
