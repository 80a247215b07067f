import { describe, expect, it } from 'vitest';
import { seededRandom } from '../values/decimal-cases.js';
import { toPyInteger, toUcrDate, toUcrDateTime } from '../values/coerce-datatype.js';
import { isPlainIsoDate, plainDateTimeText, toStoredValue } from './stored-value.js';

/** Strings near the canonical shapes: digits changed, out of range, other separators, cut short. */
function nearby(random: () => number, base: string): string {
  const chars = [...base];
  const edits = Math.floor(random() * 3);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(random() * chars.length);
    const roll = random();
    if (roll < 0.6) chars[at] = String(Math.floor(random() * 10));
    else if (roll < 0.8) chars[at] = ['t', 'z', ' ', ':', '-', '.', 'Z', 'T'][Math.floor(random() * 8)]!;
    else chars.splice(at, 1);
  }
  return chars.join('');
}

describe('the stored text of datetime and date answers without building values', () => {
  it('is what parsing and formatting give, whenever the fast path answers (20,000 strings)', () => {
    const random = seededRandom(7);
    const bases = ['2024-07-21T04:19:28.123456Z', '2024-02-29T23:59:59Z', '1999-12-31T00:00:00.000000Z'];
    let answered = 0;
    for (let i = 0; i < 20_000; i++) {
      const s = nearby(random, bases[i % bases.length]!);
      const fast = plainDateTimeText(s);
      if (fast === undefined) continue;
      answered++;
      expect([s, fast]).toEqual([s, toStoredValue(toUcrDateTime(s), 'datetime')]);
    }
    expect(answered).toBeGreaterThan(5_000);
  });

  it('drops the zone letter and a zero fraction, and refuses what it does not know', () => {
    expect(plainDateTimeText('2024-07-21T04:19:28.123456Z')).toBe('2024-07-21T04:19:28.123456');
    expect(plainDateTimeText('2024-07-21T04:19:28.000000Z')).toBe('2024-07-21T04:19:28');
    expect(plainDateTimeText('2024-07-21T04:19:28Z')).toBe('2024-07-21T04:19:28');
    for (const s of [
      '2023-02-29T00:00:00Z',
      '2024-07-21T24:00:00Z',
      '2024-07-21t04:19:28Z',
      '2024-07-21T04:19:28.12Z',
    ])
      expect(plainDateTimeText(s)).toBeUndefined();
  });

  it('keeps plain dates as they are, as parsing does', () => {
    const random = seededRandom(8);
    for (let i = 0; i < 5_000; i++) {
      const s = nearby(random, '2024-02-29');
      if (isPlainIsoDate(s)) expect(toStoredValue(toUcrDate(s), 'date')).toBe(s);
    }
  });
});

describe('integers from answers', () => {
  it('parse plain digits as int() does, signs and leading zeros included', () => {
    expect(['7', '-12', '+5', '007', '-0', ' 42 ', '1_000', '12.5', '', '-'].map(toPyInteger)).toEqual([
      7,
      -12,
      5,
      7,
      -0,
      42,
      1000,
      12,
      null,
      null,
    ]);
  });
});
