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
    expect(compile({ type: 'evaluator', statement: 'a' }).issues).toEqual([
      {
        path: '$.columns[0].expression.type',
        message: expect.stringMatching(/"evaluator" is not supported/) as string,
      },
    ]);
  });
});
