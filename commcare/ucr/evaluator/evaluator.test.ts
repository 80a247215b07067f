import { describe, expect, it } from 'vitest';
import { compileExpression } from '../compile-standalone.js';
import { Decimal, PyFloat, UcrDate, kindOf } from '../values/kinds.js';
import { pyStr } from '../values/py-str.js';

function run(
  statement: string,
  item: unknown = {},
  variables?: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): unknown {
  const spec = {
    type: 'evaluator',
    statement,
    ...(variables ? { context_variables: variables } : {}),
    ...extra,
  };
  return compileExpression(spec, {
    namedExpressions: { two: 2, doubled: { type: 'evaluator', statement: 'a * 2' } },
  })(item, { rootDoc: { root: 'r' } }).value;
}

describe('evaluator arithmetic (§7)', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['7 / 2', 3.5],
    ['7 // 2', 3],
    ['-7 // 2', -4],
    ['-7 % 3', 2],
    ['7 % -3', -2],
    ['(1 + 2) * 3', 9],
    ['1 << 3', 8],
    ['6 & 3 | 8', 10],
    ['-(-3)', 3],
    ["'ab' + 'cd'", 'abcd'],
    ["'ab' * 2", 'abab'],
    ['[1] + [2]', [1, 2]],
    ['1 < 2 < 3', true],
    ['3 > 2 > 2', false],
    ['1 == 1.0', true],
    ["'a' in 'cat'", true],
    ['2 not in [1, 3]', true],
    ['None is None', true],
    ['1 if 0 else 2', 2],
    ["0 or '' or 'x'", 'x'],
    ['1 and 0', 0],
    ['not 0', true],
    ['[x * 2 for x in range(4) if x > 0]', [2, 4, 6]],
    ['{"a": 1}["a"]', 1],
    ['[1, 2, 3][-1]', 3],
    ['[1, 2, 3, 4][1:3]', [2, 3]],
    ["'hello'[::-1]", 'olleh'],
    ['x = 5', 5],
    ['1; 2', 1],
  ])('%s evaluates to %o', (statement, expected) => {
    expect(run(statement)).toEqual(expected);
  });

  it('keeps float and int apart', () => {
    expect(kindOf(run('4 / 2'))).toBe('float');
    expect(pyStr(run('4 / 2'))).toBe('2.0');
    expect(kindOf(run('4 // 2'))).toBe('integer');
    expect(pyStr(run('1.5 + 1.5'))).toBe('3.0');
  });

  it('rounds half to even', () => {
    expect(run('round(2.5)')).toBe(2);
    expect(run('round(3.5)')).toBe(4);
    expect(run('round(-2.5)')).toBe(-2);
    expect(run('round(2.675, 2)')).toEqual(2.67);
    expect(run('round(1234, -2)')).toBe(1200);
  });

  it('uses the item keys as variables when context_variables is absent', () => {
    expect(run('a + b', { a: 1, b: 2 })).toBe(3);
  });

  it('evaluates context_variables on the item, literals converted', () => {
    expect(run('a + b', { x: 1 }, { a: { type: 'property_name', property_name: 'x' }, b: 2 })).toBe(3);
    expect(run('b * 2', {}, { b: '1.5' })).toEqual(new Decimal('3.0'));
    expect(run('a - b', {}, { a: '61.5', b: '58' })).toBeNull();
  });

  it('does not coerce numeric strings', () => {
    expect(run('a - b', { a: '61.5', b: '58' })).toBeNull();
  });

  it('applies the datatype after evaluating', () => {
    expect(run('7 / 2', {}, undefined, { datatype: 'integer' })).toBe(3);
    expect(run('7 / 2', {}, undefined, { datatype: 'string' })).toBe('3.5');
  });

  it('subtracts dates into timedeltas', () => {
    const vars = { a: { type: 'constant', constant: '2023-03-10' }, b: '2023-03-01' };
    expect(run('days(a - b)', {}, vars)).toBe(9);
    expect(run('timedelta_to_seconds(a - b)', {}, vars)).toEqual(new PyFloat(777600));
    expect(run('(a - b).days', {}, vars)).toBe(9);
  });

  it('offers int, float, str, range, today, context, root_context, named, jsonpath and date', () => {
    expect(run("int('42')")).toBe(42);
    expect(run("int('4.2')")).toBeNull();
    expect(run('int(4.9)')).toBe(4);
    expect(pyStr(run("float('1.5') + 1"))).toBe('2.5');
    expect(run('str(True) + str(None)')).toBe('TrueNone');
    expect(run('range(3)')).toEqual([0, 1, 2]);
    expect(run('range(100)')).toBeNull();
    expect(run('today()')).toBeInstanceOf(UcrDate);
    expect(run('context()["a"]', { a: 'x' })).toBe('x');
    expect(run('root_context()["root"]')).toBe('r');
    expect(run("named('two') + 1")).toBe(3);
    expect(run("named('doubled', {'a': 4})")).toBe(8);
    expect(run("jsonpath('a.b')", { a: { b: 5 } })).toBe(5);
    expect(run("jsonpath('a[*]', as_list=True)", { a: [1] })).toEqual([1]);
    expect(run("date('2023-03-04')")).toEqual(UcrDate.of(2023, 3, 4));
    expect(run("date('04/03/2023', '%d/%m/%Y')")).toEqual(UcrDate.of(2023, 3, 4));
  });

  it.each([
    ['2 ** 3'],
    ["'abc'.upper()"],
    ['len([1])'],
    ['max(1, 2)'],
    ['abs(-1)'],
    ['(lambda x: x)(1)'],
    ['{k: 1 for k in [1]}'],
    ['undefined_name'],
    ['1 / 0'],
    ['1 // 0'],
    ["'a' + 1"],
    ['None < 1'],
    ['[1][5]'],
    ['{"a": 1}["b"]'],
    ['1 +'],
    ['if x: 1'],
    ['__import__("os")'],
    ["f'{1}'"],
    ['a.__class__'],
  ])('%s is refused or fails to null', (statement) => {
    expect(run(statement, { a: {} })).toBeNull();
  });

  it('refuses variables of unsafe types and non-dict items without variables', () => {
    expect(run('a', {}, { a: { type: 'constant', constant: '12:30:00' } })).toBeNull();
    expect(compileExpression({ type: 'evaluator', statement: '1' })('not a dict').value).toBeNull();
  });

  it('supports strings with escapes, implicit concatenation and unicode', () => {
    expect(run("'a\\n' 'b'")).toBe('a\nb');
    expect(run('"é" + r"\\d"')).toBe('é\\d');
  });
});
