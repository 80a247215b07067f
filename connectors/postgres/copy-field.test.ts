import { describe, expect, it } from 'vitest';
import { copyField, escapeCopy, toJson } from './copy-field.js';

describe('copyField', () => {
  it('writes null and undefined as \\N', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined, true)).toBe('\\N');
  });

  it('escapes the backslash, tab, newline and carriage return of text', () => {
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField('\\N')).toBe('\\\\N');
  });

  it('leaves quotes and unicode as they are', () => {
    expect(copyField(`it's "é" ✓ 𝄞`)).toBe(`it's "é" ✓ 𝄞`);
  });

  it('writes numbers, bigints and booleans as PostgreSQL reads them', () => {
    expect([copyField(-1.5), copyField(2n ** 70n), copyField(true), copyField(false)]).toEqual([
      '-1.5',
      '1180591620717411303424',
      't',
      'f',
    ]);
  });

  it('writes a date as ISO 8601 in UTC', () => {
    expect(copyField(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))).toBe('2026-01-02T03:04:05.006Z');
  });

  it('writes bytes as escaped bytea hex', () => {
    expect(copyField(Buffer.from([0, 255]))).toBe('\\\\x00ff');
  });

  it('writes an array as an array literal with quoted, escaped elements', () => {
    expect(copyField(['a b', 'q"b\\', null, 1, ['x']])).toBe('{"a b","q\\\\"b\\\\\\\\",NULL,"1",{"x"}}');
  });

  it('writes any value of a json column as its JSON text, escaped for COPY', () => {
    expect(copyField({ a: 'tab\there', b: [1, { c: null }] }, true)).toBe(
      '{"a":"tab\\\\there","b":[1,{"c":null}]}',
    );
    expect(copyField('text', true)).toBe('"text"');
    expect(copyField(true, true)).toBe('true');
    expect(copyField(['x'], true)).toBe('["x"]');
  });

  it('writes an object outside a json column as JSON text', () => {
    expect(copyField({ a: 1 })).toBe('{"a":1}');
  });
});

describe('toJson', () => {
  it('writes bigints as JSON numbers', () => {
    expect(toJson({ a: 12345678901234567890n, b: [1n] })).toBe('{"a":12345678901234567890,"b":[1]}');
  });

  it('still refuses a cycle', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toJson(cyclic)).toThrow(/circular/i);
  });
});

describe('escapeCopy', () => {
  it('returns text without anything to escape as it is', () => {
    const text = '{"a":"b c"}';
    expect(escapeCopy(text)).toBe(text);
  });
});
