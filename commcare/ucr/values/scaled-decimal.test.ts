import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decimalText } from '../compile/stored-value.js';
import { checkDecimalCase, decimalCases, fastResult, type DecimalCase } from './decimal-cases.js';
import { Decimal, isDecimal, kindOf } from './kinds.js';
import { pyAdd, pyMul, pySub, pyTrueDiv } from './py-arith.js';
import { parsePyDecimal } from './py-parse.js';
import { pyStr } from './py-str.js';
import {
  parseScaledDecimal,
  ScaledDecimal,
  scaledDivide,
  scaledFixedText,
  scaledOf,
} from './scaled-decimal.js';

const scaled = (text: string) => parseScaledDecimal(text)!;

describe('scaled decimals', () => {
  it('are Decimals to every other part of the value model, with decimal.js methods', () => {
    const value = parsePyDecimal('9.70');
    expect(value).toBeInstanceOf(ScaledDecimal);
    expect(isDecimal(value)).toBe(true);
    expect(kindOf(value)).toBe('decimal');
    expect(value!.plus(new Decimal('0.3')).toString()).toBe('10');
    expect(pyStr(value)).toBe('9.7');
    expect(JSON.stringify({ value })).toBe('{"value":"9.7"}');
  });

  it('divide as Python does: 28 significant digits, ties to even', () => {
    expect(pyTrueDiv(scaled('9.7'), scaled('11.8'))).toEqual(new Decimal('0.8220338983050847457627118644'));
    // 2345678901234567890123456789 / 2 = 1172839450617283945061728394.5: a tie, to the even neighbour.
    expect(String(pyTrueDiv(scaled('2345678901234567890123456789'), 2))).toBe('1172839450617283945061728394');
    expect(String(pyTrueDiv(scaled('2345678901234567890123456791'), 2))).toBe('1172839450617283945061728396');
    expect(String(pyTrueDiv(scaled('-1'), scaled('3')))).toBe('-0.3333333333333333333333333333');
  });

  it('leave division by zero to the caller, which raises ZeroDivisionError', () => {
    expect(scaledDivide(scaled('1'), scaled('0.00'))).toBeUndefined();
    expect(() => pyTrueDiv(scaled('1'), scaled('0.00'))).toThrow('division by zero');
  });

  it('add, subtract and multiply with Python int promotion, never with a float', () => {
    expect(pyAdd(scaled('1.25'), 2)).toEqual(new Decimal('3.25'));
    expect(pySub(true, scaled('0.5'))).toEqual(new Decimal('0.5'));
    expect(pyMul(scaled('-1.5'), scaled('2'))).toEqual(new Decimal('-3'));
    expect(() => pyAdd(scaled('1.5'), 0.25)).toThrow('Decimal and float');
  });

  it('store the text a NUMERIC(64,16) column holds: 16 places, ties away from zero, no -0', () => {
    expect(scaledFixedText(scaled('0.12345678901234565'), 16)).toBe('0.1234567890123457');
    expect(scaledFixedText(scaled('-0.12345678901234565'), 16)).toBe('-0.1234567890123457');
    expect(scaledFixedText(scaled('-0.00000000000000004'), 16)).toBe('0');
    expect(scaledFixedText(scaled('120.500'), 16)).toBe('120.5');
    expect(decimalText(scaled('0.8220338983050847457627118644').asDecimal())).toBe('0.8220338983050847');
  });

  it('keep decimal.js correct when one of its methods writes into the value', () => {
    const value = scaled('-2.5');
    // decimal.js's toPower flips the sign of `this` on its way: the scaled form must not be used after.
    expect(value.asDecimal().pow(2).toString()).toBe('6.25');
    expect(scaledOf(value) === undefined || value.asDecimal().toString() === '-2.5').toBe(true);
  });

  it('leave text outside the plain form to the general parser', () => {
    for (const text of [' 1.5', '1_000', '1e5', '.5', '5.', 'NaN', '1.5.2', '', '-', '1'.repeat(29)])
      expect(parseScaledDecimal(text)).toBeUndefined();
    expect(parsePyDecimal(' 1.5 ')).toEqual(new Decimal('1.5'));
    expect(parsePyDecimal('1e5')).toEqual(new Decimal('100000'));
  });
});

describe('scaled decimals against decimal.js, seeded random and edge cases', () => {
  it('agree on 100,000 cases: value, sign, representation and stored text (a million: npm run bench -- decimals)', () => {
    const mismatches: string[] = [];
    let fast = 0;
    for (const c of decimalCases(20261203, 100_000)) {
      const check = checkDecimalCase(c);
      if (check.fast) fast++;
      if (check.mismatch && mismatches.length < 10) mismatches.push(check.mismatch);
    }
    expect(mismatches).toEqual([]);
    // The fast paths took nearly every case: only zero sums and far-apart exponents are left out.
    expect(fast).toBeGreaterThan(90_000);
  }, 120_000);
});

interface CpythonCase extends DecimalCase {
  /** `str()` of CPython's result in the default context. */
  result: string;
  /** The result quantized to 16 places, ROUND_HALF_UP: what PostgreSQL stores. */
  stored: string;
}

describe("scaled decimals against CPython's decimal module", () => {
  const [header, ...lines] = readFileSync(
    new URL('./fixtures/cpython-decimal-cases.jsonl', import.meta.url),
    'utf8',
  )
    .trim()
    .split('\n');
  const fixture = {
    python: (JSON.parse(header!) as { python: string }).python,
    cases: lines.map((line) => JSON.parse(line) as CpythonCase),
  };

  it(`give CPython ${fixture.python}'s values on ${fixture.cases.length} cases (fixtures/cpython-decimal-cases.py)`, () => {
    const mismatches: string[] = [];
    let compared = 0;
    for (const c of fixture.cases) {
      const got = fastResult(c);
      if (got === undefined) continue;
      compared++;
      const stored = scaledFixedText(got, 16);
      if (!got.asDecimal().eq(new Decimal(c.result)) || stored !== c.stored)
        mismatches.push(
          `${c.op}(${c.a}, ${c.b}): ${got.asDecimal().toString()} / ${stored}, CPython ${c.result} / ${c.stored}`,
        );
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(fixture.cases.length * 0.9);
  });
});
