import { describe, expect, it } from 'vitest';
import type { ReportConfigIssue } from './report-config-error.js';
import { compileReportExpression } from './report-expression.js';

function compile(spec: unknown) {
  const issues: ReportConfigIssue[] = [];
  const expression = compileReportExpression(spec, ['columns', 0, 'expression'], issues);
  return { expression, issues };
}

describe('compileReportExpression', () => {
  it('reads a report column, null when absent', () => {
    const { expression } = compile({ type: 'property_name', property_name: 'n' });
    expect(expression({ n: 3 })).toBe(3);
    expect(expression({})).toBeNull();
  });

  it('takes bare literals and constants', () => {
    expect(compile(7).expression({})).toBe(7);
    expect(compile({ type: 'constant', constant: 'x' }).expression({})).toBe('x');
  });

  it('chooses a branch by and/or/not tests with Python-like comparisons', () => {
    const { expression, issues } = compile({
      type: 'conditional',
      test: {
        type: 'and',
        filters: [
          {
            type: 'boolean_expression',
            expression: { type: 'property_name', property_name: 'n' },
            operator: 'gt',
            property_value: 2,
          },
          {
            type: 'not',
            filter: {
              type: 'boolean_expression',
              expression: { type: 'property_name', property_name: 'v' },
              operator: 'in',
              property_value: ['A', 'B'],
            },
          },
        ],
      },
      expression_if_true: 'yes',
      expression_if_false: 'no',
    });
    expect(issues).toEqual([]);
    expect(expression({ n: 3, v: 'C' })).toBe('yes');
    expect(expression({ n: 3, v: 'A' })).toBe('no');
    // A string is not ordered against a number: the comparison is false, not an error.
    expect(expression({ n: '9', v: 'C' })).toBe('no');
  });

  it('refuses what needs more than the row, at its path', () => {
    const { issues } = compile({
      type: 'conditional',
      test: {
        type: 'boolean_expression',
        expression: { type: 'evaluator', statement: 'a + 1' },
        operator: 'like',
        property_value: 1,
      },
    });
    expect(issues).toEqual([
      {
        path: '$.columns[0].expression.test.operator',
        message: expect.stringMatching(/expected one of eq\|not_eq/) as string,
      },
    ]);
    expect(compile({ type: 'related_doc', related_doc_type: 'CommCareCase' }).issues).toEqual([
      {
        path: '$.columns[0].expression.type',
        message: expect.stringMatching(/"related_doc" is not supported/) as string,
      },
    ]);
    expect(compile({ type: 'evaluator', statement: 'len(a)' }).issues).toEqual([
      {
        path: '$.columns[0].expression.statement',
        message: expect.stringMatching(
          /function calls are not supported \(len\); .*arithmetic only/,
        ) as string,
      },
    ]);
    expect(compile({ type: 'evaluator', statement: 'a ** 2' }).issues[0]!.message).toMatch(/\*\* is refused/);
  });

  it("evaluates arithmetic statements with Python's operators, null on type errors and division by zero", () => {
    const { expression, issues } = compile({
      type: 'evaluator',
      statement: '(taken / doses) * 100 + -(a // 2) + a % 3',
      context_variables: {
        taken: { type: 'property_name', property_name: 'taken' },
        doses: { type: 'property_name', property_name: 'doses' },
        a: -7,
      },
    });
    expect(issues).toEqual([]);
    // 1/4*100 = 25; -7 // 2 = -4, negated 4; -7 % 3 = 2.
    expect(expression({ taken: 1, doses: 4 })).toBe(31);
    expect(expression({ taken: 1, doses: 0 })).toBeNull();
    expect(expression({ taken: 'x', doses: 4 })).toBeNull();
  });

  it('uses the row as variables without context_variables, and truncates for datatype integer', () => {
    const { expression } = compile({ type: 'evaluator', statement: 'n * 10 / 3', datatype: 'integer' });
    expect(expression({ n: 2 })).toBe(6);
  });
});
