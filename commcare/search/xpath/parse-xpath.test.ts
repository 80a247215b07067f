import { describe, expect, it } from 'vitest';
import { parseXPath } from './parse-xpath.js';
import { CaseSearchQueryError } from './xpath-error.js';

const errorOf = (text: string): CaseSearchQueryError => {
  try {
    parseXPath(text);
  } catch (error) {
    if (error instanceof CaseSearchQueryError) return error;
    throw error;
  }
  throw new Error(`parsed: ${text}`);
};

describe('the case search parser', () => {
  it('gives and a lower precedence than comparisons and or a lower one than and', () => {
    const tree = parseXPath("a = 'x' or b = 'y' and c != 2");
    expect(tree).toMatchObject({
      type: 'binary',
      op: 'or',
      left: {
        type: 'binary',
        op: '=',
        left: { type: 'path', steps: ['a'] },
        right: { type: 'string', value: 'x' },
      },
      right: {
        type: 'binary',
        op: 'and',
        right: { type: 'binary', op: '!=', right: { type: 'number', value: 2 } },
      },
    });
  });

  it('reads parentheses, function calls with arguments, @names, hyphenated names and paths', () => {
    const tree = parseXPath(
      "(subcase-exists('parent', @case_type = \"lab\") or parent/host/first-name = 'x')",
    );
    expect(tree).toMatchObject({
      type: 'binary',
      op: 'or',
      left: {
        type: 'call',
        name: 'subcase-exists',
        args: [
          { type: 'string', value: 'parent' },
          { type: 'binary', left: { steps: ['@case_type'] } },
        ],
      },
      right: { left: { type: 'path', steps: ['parent', 'host', 'first-name'] } },
    });
  });

  it('treats and/or as property names where no operand precedes them', () => {
    expect(parseXPath("and = 'x'")).toMatchObject({ op: '=', left: { type: 'path', steps: ['and'] } });
  });

  it('reads a minus before a number as a negation and keeps spans of the source', () => {
    const text = "age > -5 and dob < date('2020-01-01')";
    const tree = parseXPath(text);
    expect(tree).toMatchObject({ left: { right: { type: 'negate', operand: { value: 5 } } } });
    if (tree.type !== 'binary' || tree.right.type !== 'binary') throw new Error('shape');
    expect(text.slice(tree.right.right.pos, tree.right.right.end)).toBe("date('2020-01-01')");
  });

  it.each([
    ["name = 'x", 7, "expected a closing ' for this string"],
    ["name = 'x' and", 14, 'expected a property name'],
    [
      "name = 'x')",
      10,
      "expected an operator (=, !=, <, <=, >, >=, and, or) or the end of the query, got ')'",
    ],
    ["selected(name, 'x'", 18, "expected ',' or ')' to close the arguments of selected()"],
    ["name ~ 'x'", 5, 'unexpected character "~"'],
    ['', 0, 'expected a query'],
    ["parent/ = 'x'", 8, "expected a case property or index name after '/' in parent/"],
    ["a[1] = 'x'", 1, 'predicates'],
  ])('refuses %j naming column %i and what was expected', (text, position, message) => {
    const error = errorOf(text);
    expect(error.position).toBe(position);
    expect(error.message).toContain(`at column ${position + 1}: `);
    expect(error.message).toContain(message);
  });
});
