import { describe, expect, it } from 'vitest';
import { qualifiedName, quoteIdentifier } from './quote-identifier.js';

describe('quoteIdentifier', () => {
  it('quotes a name, doubling embedded quotes', () => {
    expect(quoteIdentifier('my-table')).toBe('"my-table"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(qualifiedName('s', 't"x')).toBe('"s"."t""x"');
  });

  it('refuses an empty name and a NUL', () => {
    expect(() => quoteIdentifier('')).toThrow(/invalid SQL identifier/);
    expect(() => quoteIdentifier('a\0b')).toThrow(/invalid SQL identifier/);
  });

  it('refuses a name PostgreSQL would cut to 63 bytes, counting bytes, not characters', () => {
    expect(quoteIdentifier('x'.repeat(63))).toBe(`"${'x'.repeat(63)}"`);
    expect(() => quoteIdentifier('x'.repeat(64))).toThrow(/longer than 63 bytes/);
    expect(() => quoteIdentifier('é'.repeat(32))).toThrow(/longer than 63 bytes/);
  });
});
