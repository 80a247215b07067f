import { describe, expect, it } from 'vitest';
import { coerceDatatype } from './coerce-datatype.js';
import { Decimal, PyFloat, UcrDate, UcrDateTime, UcrTime, kindOf } from './kinds.js';
import { convertLiteral } from './literal-convert.js';
import { pyCompare, pyEquals } from './py-compare.js';
import { pyFloatRepr, pyStr } from './py-str.js';
import { parseJsonValues } from './parse-json-values.js';
import { toJsonText, toTypedJsonText } from './to-json-text.js';

const d = (s: string) => new Decimal(s);
const date = (y: number, m: number, day: number) => UcrDate.of(y, m, day)!;
const dt = (y: number, mo: number, day: number, h = 0, mi = 0, s = 0, us = 0) =>
  UcrDateTime.of(y, mo, day, h, mi, s, us)!;

describe('Python equality', () => {
  it.each([
    [true, 1, true],
    [false, 0, true],
    [1, new PyFloat(1), true],
    [5, 5.0, true],
    ['5', 5, false],
    [null, null, true],
    [null, 0, false],
    [d('61.5'), 61.5, true],
    [d('1.1'), 1.1, false],
    [d('2'), 2, true],
    [d('2.50'), d('2.5'), true],
    [date(2023, 1, 1), dt(2023, 1, 1), false],
    [date(2023, 1, 1), '2023-01-01', false],
    [[1, 'a'], [true, 'a'], true],
    [{ a: 1 }, { a: new PyFloat(1) }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [new PyFloat(NaN), new PyFloat(NaN), false],
  ])('%o == %o is %s', (a, b, expected) => {
    expect(pyEquals(a, b)).toBe(expected);
  });
});

describe('Python ordering', () => {
  it('orders numbers across int, float, bool and Decimal', () => {
    expect(pyCompare(1, 1.5)).toBe(-1);
    expect(pyCompare(true, 0)).toBe(1);
    expect(pyCompare(d('1.5'), 1)).toBe(1);
    expect(pyCompare(d('0.1'), 0.1)).toBe(-1); // 0.1 as a float is slightly above 0.1
  });
  it('refuses to order across kinds and None', () => {
    expect(pyCompare('a', 1)).toBeUndefined();
    expect(pyCompare(null, 1)).toBeUndefined();
    expect(pyCompare(date(2023, 1, 1), dt(2023, 1, 1))).toBeUndefined();
    expect(pyCompare({}, {})).toBeUndefined();
  });
  it('orders strings by code point and lists lexicographically', () => {
    expect(pyCompare('10', '9')).toBe(-1);
    expect(pyCompare('B', 'a')).toBe(-1);
    expect(pyCompare([1, 2], [1, 3])).toBe(-1);
    expect(pyCompare([1, 2], [1])).toBe(1);
    expect(pyCompare([1, 'a'], [1, 2])).toBeUndefined();
  });
});

describe('Python str()', () => {
  it.each([
    [true, 'True'],
    [false, 'False'],
    [null, 'None'],
    [5, '5'],
    [new PyFloat(5), '5.0'],
    [0.1, '0.1'],
    [new PyFloat(1e16), '1e+16'],
    [1.5e-5, '1.5e-05'],
    [123456.789, '123456.789'],
    [new PyFloat(-0), '-0.0'],
    [new PyFloat(Infinity), 'inf'],
    [d('2.5'), '2.5'],
    [d('100'), '100'],
    [d('0.0000001'), '1E-7'],
    [[1, 'a', null, true], "[1, 'a', None, True]"],
    [{ a: 1, b: "it's" }, `{'a': 1, 'b': "it's"}`],
    [date(2023, 3, 14), '2023-03-14'],
    [dt(2023, 3, 14, 9, 21, 5), '2023-03-14 09:21:05'],
    [dt(2023, 3, 14, 9, 21, 5, 120000), '2023-03-14 09:21:05.120000'],
    [[date(2023, 3, 14)], '[datetime.date(2023, 3, 14)]'],
    [[d('1.5')], "[Decimal('1.5')]"],
  ])('str(%o) is %s', (value, expected) => {
    expect(pyStr(value)).toBe(expected);
  });
  it('prints floats with repr', () => {
    expect(pyFloatRepr(1 / 3)).toBe('0.3333333333333333');
    expect(pyFloatRepr(1e22)).toBe('1e+22');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(0.00001)).toBe('1e-05');
  });
});

describe('literal conversion (§3)', () => {
  it('turns date-like strings into dates and keeps the rest', () => {
    expect(convertLiteral('2023-01-01')).toEqual(date(2023, 1, 1));
    expect(convertLiteral('2023-02-30')).toBe('2023-02-30');
    expect(convertLiteral('20230101')).toBe('20230101');
    expect(convertLiteral('2023/01/01')).toBe('2023/01/01');
  });
  it('turns Z datetimes into naive datetimes (fraction exactly 6 digits)', () => {
    expect(convertLiteral('2023-03-14T09:21:05Z')).toEqual(dt(2023, 3, 14, 9, 21, 5));
    expect(convertLiteral('2023-03-14T09:21:05.123456Z')).toEqual(dt(2023, 3, 14, 9, 21, 5, 123456));
    expect(convertLiteral('2023-03-14T09:21:05.123Z')).toBe('2023-03-14T09:21:05.123Z');
    expect(convertLiteral('2023-03-14T09:21:05')).toBe('2023-03-14T09:21:05');
  });
  it('turns unsigned decimals into Decimal but not ints or signed numbers', () => {
    expect(kindOf(convertLiteral('61.5'))).toBe('decimal');
    expect(convertLiteral('10')).toBe('10');
    expect(convertLiteral('-1.5')).toBe('-1.5');
    expect(convertLiteral('1e3')).toBe('1e3');
  });
  it('turns times into times and leaves 12:30 a string', () => {
    expect(convertLiteral('12:30:15')).toEqual(new UcrTime((12 * 3600 + 30 * 60 + 15) * 1e6));
    expect(convertLiteral('12:30')).toBe('12:30');
    expect(convertLiteral('2014')).toBe('2014');
  });
  it('converts recursively through lists and dicts', () => {
    expect(convertLiteral(['2023-01-01', { a: '1.5', b: 'x' }])).toEqual([
      date(2023, 1, 1),
      { a: d('1.5'), b: 'x' },
    ]);
  });
});

describe('datatype coercion (§6)', () => {
  it.each([
    ['27', 27],
    [' 42 ', 42],
    ['61.5', 61],
    ['-61.9', -61],
    [12.9, 12],
    ['1e3', 1000],
    ['1_000', 1000],
    [true, 1],
    ['abc', null],
    ['', null],
    [null, null],
    [[], null],
    ['nan', null],
    ['inf', null],
    [d('7.9'), 7],
  ])('integer(%o) is %o', (value, expected) => {
    expect(coerceDatatype(value, 'integer')).toBe(expected);
  });
  it('decimal keeps exact values and the binary value of floats', () => {
    expect(coerceDatatype('61.5', 'decimal')).toEqual(d('61.5'));
    expect(coerceDatatype(' 2.50 ', 'decimal')).toEqual(d('2.5'));
    expect((coerceDatatype(1.1, 'decimal') as Decimal).toFixed()).toBe(
      '1.100000000000000088817841970012523233890533447265625',
    );
    expect(coerceDatatype(true, 'decimal')).toEqual(d('1'));
    expect(coerceDatatype('1,000', 'decimal')).toBeNull();
    expect(coerceDatatype('', 'decimal')).toBeNull();
    expect((coerceDatatype('NaN', 'decimal') as Decimal).isNaN()).toBe(true);
  });
  it('string is Python str() and keeps None', () => {
    expect(coerceDatatype(5, 'string')).toBe('5');
    expect(coerceDatatype(new PyFloat(5), 'string')).toBe('5.0');
    expect(coerceDatatype(false, 'string')).toBe('False');
    expect(coerceDatatype([1, 2], 'string')).toBe('[1, 2]');
    expect(coerceDatatype({ a: 1 }, 'string')).toBe("{'a': 1}");
    expect(coerceDatatype(null, 'string')).toBeNull();
  });
  it.each([
    ['2023-3-4', date(2023, 3, 4)],
    ['2023-03-14T09:21:05Z', date(2023, 3, 14)],
    ['2023-03-14t09:21:05z', date(2023, 3, 14)],
    ['2023-03-14T09:21:05', null],
    ['2023-03-14T09:21:05+03:00', null],
    ['14/03/2023', null],
    ['2023-03-14 ', null],
    [20230314, null],
    ['', null],
  ])('date(%o) is %o', (value, expected) => {
    expect(coerceDatatype(value, 'date')).toEqual(expected);
  });
  it('datetime accepts strict Z datetimes and dates', () => {
    expect(coerceDatatype('2023-03-14T09:21:05.5Z', 'datetime')).toEqual(dt(2023, 3, 14, 9, 21, 5, 500000));
    expect(coerceDatatype('2023-03-14', 'datetime')).toEqual(dt(2023, 3, 14));
    expect(coerceDatatype('2023-03-14 09:21:05Z', 'datetime')).toBeNull();
    expect(coerceDatatype('2023-03-14T09:21:05+03:00', 'datetime')).toBeNull();
    expect(coerceDatatype(date(2023, 3, 14), 'datetime')).toEqual(dt(2023, 3, 14));
  });
  it('array wraps scalars and turns a missing value into [None]', () => {
    expect(coerceDatatype(null, 'array')).toEqual([null]);
    expect(coerceDatatype({ a: 1 }, 'array')).toEqual([{ a: 1 }]);
    expect(coerceDatatype([1], 'array')).toEqual([1]);
  });
});

describe('JSON values', () => {
  it('reads 5.0 as a float and prints decimals exactly', () => {
    const value = parseJsonValues('{"a": 5.0, "b": 5, "c": 1.5}') as Record<string, unknown>;
    expect(kindOf(value.a)).toBe('float');
    expect(kindOf(value.b)).toBe('integer');
    expect(toJsonText(value)).toBe('{"a":5.0,"b":5,"c":1.5}');
    expect(toTypedJsonText(d('0.10000000000000000000001'))).toBe(
      '{"type":"decimal","value":0.10000000000000000000001}',
    );
    expect(toTypedJsonText(dt(2023, 3, 14, 9, 21, 5, 1))).toBe(
      '{"type":"datetime","value":"2023-03-14T09:21:05.000001"}',
    );
  });
});
