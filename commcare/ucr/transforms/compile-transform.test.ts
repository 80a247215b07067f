import { describe, expect, it } from 'vitest';
import { Decimal, PyFloat, UcrDate, UcrDateTime } from '../values/kinds.js';
import {
  compileTransform,
  isEmptyTransform,
  TransformSpecError,
  type TransformContext,
} from './compile-transform.js';
import { ethiopianToGregorian, gregorianToEthiopian } from './ethiopian-calendar.js';
import { localize } from './localize.js';
import { pythonFormat } from './python-format.js';

const docs: Record<string, unknown> = {
  'user:u1': { _id: 'u1', doc_type: 'CommCareUser', username: 'Asha@demo.commcarehq.org' },
  'user:w1': { _id: 'w1', doc_type: 'WebUser', username: 'admin@example.org' },
  'group:g1': { _id: 'g1', doc_type: 'Group', name: 'Team North' },
  'location:l1': { _id: 'l1', doc_type: 'Location', name: 'Bondo' },
};
const ctx = (lang = 'en'): TransformContext => ({
  lang,
  lookup: (kind, id) => docs[`${kind}:${id}`] ?? null,
});
const run = (spec: unknown, value: unknown, lang = 'en') => compileTransform(spec)(value, ctx(lang));
const custom = (type: string, value: unknown) => run({ type: 'custom', custom_type: type }, value);

describe('CommCare transforms', () => {
  it('treats {} and null as no transform', () => {
    expect(isEmptyTransform({})).toBe(true);
    expect(isEmptyTransform(null)).toBe(true);
    expect(isEmptyTransform({ type: 'custom' })).toBe(false);
  });

  it.each([
    ['2009-09-11 ', '2017-05-19'],
    ['2009-13-5 ', '2017-09-10'],
    ['2014-13-05', '2022-09-10'],
    ['2015-01-20', '2022-09-30'],
  ])('ethiopian_date_to_gregorian_date turns %j into %s (CommCare test vectors)', (input, expected) => {
    expect((custom('ethiopian_date_to_gregorian_date', input) as UcrDate).toIso()).toBe(expected);
  });

  it.each([['2009_13_11 '], ['abc-13-11'], [null], ['2009-14-01']])(
    'ethiopian_date_to_gregorian_date gives "" for %j',
    (input) => expect(custom('ethiopian_date_to_gregorian_date', input)).toBe(''),
  );

  it.each([
    [UcrDate.of(2017, 5, 19), '2009-09-11'],
    [UcrDate.of(2017, 9, 10), '2009-13-05'],
    ['2017-05-19 ', '2009-09-11'],
    ['2017-5-19', '2009-09-11'],
    ['2021-10-11', '2014-02-01'],
    [null, ''],
  ])('gregorian_date_to_ethiopian_date turns %j into %j', (input, expected) => {
    expect(custom('gregorian_date_to_ethiopian_date', input)).toBe(expected);
  });

  it('converts every Ethiopian day of 400 years there and back', () => {
    let mismatches = 0;
    for (let y = 1800; y < 2200; y++)
      for (let m = 1; m <= 13; m++)
        for (let d = 1; d <= (m < 13 ? 30 : y % 4 === 3 ? 6 : 5); d++) {
          const [yy, mm, dd] = gregorianToEthiopian(ethiopianToGregorian(y, m, d)!);
          if (yy !== y || mm !== m || dd !== d) mismatches++;
        }
    expect(mismatches).toBe(0);
  });

  it.each([
    [1, 'January'],
    ['12', 'December'],
    [0, ''],
    ['abc', ''],
    [-1, 'December'],
  ])('month_display turns %j into %j', (input, expected) =>
    expect(custom('month_display', input)).toBe(expected),
  );

  it('user_display and user_without_domain_display read the user document', () => {
    expect(custom('user_display', 'u1')).toBe('asha');
    expect(custom('user_display', 'w1')).toBe('admin@example.org');
    expect(custom('user_without_domain_display', 'w1')).toBe('admin');
    expect(custom('user_display', 'demo_user')).toBe('demo_user');
    expect(custom('user_display', 'nobody')).toBeNull();
  });

  it('owner_display names a location, a user or a group', () => {
    expect(custom('owner_display', 'l1')).toBe('Bondo');
    expect(custom('owner_display', 'u1')).toBe('asha');
    expect(custom('owner_display', 'g1')).toBe('Team North');
    expect(custom('owner_display', 'none')).toBeNull();
  });

  it('short_decimal_display rounds half to even as Python round(x, 2)', () => {
    expect(custom('short_decimal_display', 2.675)).toBe(2.67);
    expect((custom('short_decimal_display', new Decimal('2.345')) as Decimal).toString()).toBe('2.34');
    expect(custom('short_decimal_display', 7)).toBe(7);
    expect(custom('short_decimal_display', 'x')).toBe('x');
    expect(custom('short_decimal_display', new PyFloat(2))).toEqual(new PyFloat(2));
  });

  it('days_elapsed_from_date counts whole days to now', () => {
    const yesterday = UcrDateTime.fromEpochMs(Date.now() - 86_400_000 - 1000);
    expect(custom('days_elapsed_from_date', yesterday)).toBe(1);
  });

  it.each([
    ['{0:.0f}', 2.5, '2'],
    ['{0:.2f}', 1.005, '1.00'],
    ['{0:.3f}', '12.34567', '12.346'],
    ['{:,}', 1234567, '1,234,567'],
    ['{0:,.1f}', 1234.56, '1,234.6'],
    ['{:.0%}', 0.256, '26%'],
    ['{:>6d}', 42, '    42'],
    ['{:06.2f}', -3.14159, '-03.14'],
    ['{:.3g}', 1234.5, '1.23e+03'],
    ['{0} kg', 5, '5 kg'],
    ['{0:.1f}', true, '1.0'],
  ])('number_format %s of %j is %j', (format, value, expected) => {
    expect(run({ type: 'number_format', format_string: format }, value)).toBe(expected);
  });

  it('number_format returns what it cannot format unchanged', () => {
    expect(run({ type: 'number_format', format_string: '{0:.2f}' }, 'notanumber')).toBe('notanumber');
    expect(run({ type: 'number_format', format_string: '{0:.2f}' }, '')).toBe('');
    expect(run({ type: 'number_format', format_string: '{0:.2f}' }, null)).toBeNull();
    expect(run({ type: 'number_format', format_string: '{1:.2f}' }, 3)).toBe(3);
  });

  it('date_format formats dates and datetimes and leaves text alone', () => {
    const spec = { type: 'date_format', format: '%d %B %Y %H:%M' };
    expect(run(spec, UcrDate.of(2024, 3, 5))).toBe('05 March 2024 00:00');
    expect(run(spec, UcrDateTime.of(2024, 3, 5, 14, 7, 0, 0))).toBe('05 March 2024 14:07');
    expect(run(spec, '2024-03-05')).toBe('2024-03-05');
  });

  it('translation picks the language, then en, then the first key', () => {
    const spec = {
      type: 'translation',
      translations: {
        lmp: { en: 'Last period', fra: 'Dernières règles' },
        edd: 'Due date',
        x: { hin: 'ह', arb: 'ع' },
      },
    };
    expect(run(spec, 'lmp', 'fra')).toBe('Dernières règles');
    expect(run(spec, 'lmp', 'hin')).toBe('Last period');
    expect(run(spec, 'edd', 'fra')).toBe('Due date');
    expect(run(spec, 'x', 'en')).toBe('ع');
    expect(run(spec, 'other', 'en')).toBe('other');
    expect(run({ ...spec, mobile_or_web: 'mobile' }, 'lmp')).toBe('lmp');
  });

  it('multiple_value_string_translation translates each part', () => {
    const spec = {
      type: 'multiple_value_string_translation',
      delimiter: ' ',
      translations: { a: 'Apple', b: 'Banana' },
    };
    expect(run(spec, 'a b c')).toBe('Apple Banana c');
  });

  it('hyperlink, prefix_string and nested', () => {
    expect(run({ type: 'hyperlink', link_text: 'open' }, 'http://x')).toBe("<a href='http://x'>open</a>");
    expect(run({ type: 'prefix_string', prefix: 'ID-' }, '7')).toBe('ID-7');
    const nested = {
      type: 'nested',
      inner_expression: { type: 'custom', custom_type: 'user_display' },
      outer_expression: { type: 'prefix_string', prefix: '@' },
    };
    expect(run(nested, 'u1')).toBe('@asha');
  });

  it('refuses unknown transform and custom types with the path', () => {
    expect(() => compileTransform({ type: 'custom', custom_type: 'icds_display' })).toThrow(
      TransformSpecError,
    );
    try {
      compileTransform({ type: 'nested', inner_expression: { type: 'bogus' }, outer_expression: {} });
    } catch (error) {
      expect((error as TransformSpecError).at).toEqual(['inner_expression', 'type']);
    }
  });

  it('localize follows CommCare: lang, en, then the alphabetically first key; empty counts as missing', () => {
    expect(localize({ en: 'Name', hin: 'नाम' }, 'hin')).toBe('नाम');
    expect(localize({ en: 'Name', hin: '' }, 'hin')).toBe('Name');
    expect(localize({ fra: 'Nom', arb: 'اسم' }, 'por')).toBe('اسم');
    expect(localize('plain', 'fra')).toBe('plain');
  });

  it('python format escapes braces', () => expect(pythonFormat('{{{0}}}', 3)).toBe('{3}'));
});
