/**
 * A recursive-descent parser for case search queries: XPath 1.0 expressions with XPath's
 * precedence (or < and < = != < < <= > >= < + - < * div mod < unary - < | < paths and calls).
 * It builds the tree only; what the tree may mean is the compiler's (compile-xpath.ts). No `eval`.
 */
import type { BinaryOperator, XPathNode } from './xpath-ast.js';
import { CaseSearchQueryError } from './xpath-error.js';
import { tokenizeXPath, type XPathOperator, type XPathToken } from './tokenize-xpath.js';

const LEVELS: readonly (readonly BinaryOperator[])[] = [
  ['or'],
  ['and'],
  ['=', '!='],
  ['<', '<=', '>', '>='],
  ['+', '-'],
  ['*', 'div', 'mod'],
];

function describe(token: XPathToken): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the query';
    case 'string':
      return `the string '${token.value}'`;
    case 'number':
      return `the number ${token.text}`;
    case 'name':
      return `'${token.value}'`;
    case 'op':
      return `'${token.value}'`;
  }
}

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: XPathToken[],
    private readonly text: string,
  ) {}

  private get peek(): XPathToken {
    return this.tokens[this.index]!;
  }

  private next(): XPathToken {
    return this.tokens[this.index++]!;
  }

  private fail(expected: string, token: XPathToken = this.peek): never {
    throw new CaseSearchQueryError(`expected ${expected}, got ${describe(token)}`, token.pos, this.text);
  }

  private isOp(value: XPathOperator, token: XPathToken = this.peek): boolean {
    return token.kind === 'op' && token.value === value;
  }

  private expectOp(value: XPathOperator, expected: string): XPathToken {
    if (!this.isOp(value)) this.fail(expected);
    return this.next();
  }

  parse(): XPathNode {
    if (this.tokens[0]!.kind === 'end') this.fail('a query');
    const node = this.binary(0);
    const last: XPathToken = this.peek;
    if (last.kind !== 'end') {
      this.fail('an operator (=, !=, <, <=, >, >=, and, or) or the end of the query');
    }
    return node;
  }

  private binary(level: number): XPathNode {
    if (level === LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    const operators = LEVELS[level]!;
    for (;;) {
      const token = this.peek;
      if (token.kind !== 'op' || !(operators as readonly string[]).includes(token.value)) return left;
      this.next();
      const right = this.binary(level + 1);
      left = {
        type: 'binary',
        op: token.value as BinaryOperator,
        left,
        right,
        pos: left.pos,
        end: right.end,
      };
    }
  }

  private unary(): XPathNode {
    if (this.isOp('-')) {
      const minus = this.next();
      const operand = this.unary();
      return { type: 'negate', operand, pos: minus.pos, end: operand.end };
    }
    const node = this.primary();
    if (this.isOp('|')) this.fail("a comparison: node-set unions ('|') are not part of case search");
    if (this.isOp('[')) this.fail('an operator: predicates ([…]) are not part of case search');
    return node;
  }

  private primary(): XPathNode {
    const token = this.peek;
    if (token.kind === 'string') {
      this.next();
      return { type: 'string', value: token.value, pos: token.pos, end: endOf(token, this.text) };
    }
    if (token.kind === 'number') {
      this.next();
      return { type: 'number', value: token.value, pos: token.pos, end: token.pos + token.text.length };
    }
    if (this.isOp('(')) {
      this.next();
      const inner = this.binary(0);
      const close = this.expectOp(')', "')' to close the parenthesis");
      return { ...inner, pos: token.pos, end: close.pos + 1 };
    }
    if (token.kind === 'name') {
      if (this.isOp('(', this.tokens[this.index + 1])) return this.call();
      return this.path();
    }
    if (this.isOp('/')) this.fail('a property name: absolute paths are not part of case search');
    return this.fail("a property name, a 'string', a number, a function call or '('");
  }

  private call(): XPathNode {
    const name = this.next() as Extract<XPathToken, { kind: 'name' }>;
    this.next(); // '('
    const args: XPathNode[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        args.push(this.binary(0));
        if (!this.isOp(',')) break;
        this.next();
      }
    }
    const close = this.expectOp(')', `',' or ')' to close the arguments of ${name.value}()`);
    return { type: 'call', name: name.value, args, pos: name.pos, end: close.pos + 1 };
  }

  private path(): XPathNode {
    const first = this.next() as Extract<XPathToken, { kind: 'name' }>;
    const steps = [first.value];
    let end = first.pos + first.value.length;
    while (this.isOp('/')) {
      this.next();
      const step = this.peek;
      if (step.kind !== 'name' || this.isOp('(', this.tokens[this.index + 1])) {
        this.fail(`a case property or index name after '/' in ${steps.join('/')}/`);
      }
      this.next();
      steps.push(step.value);
      end = step.pos + step.value.length;
    }
    return { type: 'path', steps, pos: first.pos, end };
  }
}

/** The text length of a token as written (strings include their quotes). */
function endOf(token: XPathToken, text: string): number {
  if (token.kind === 'string') return text.indexOf(text[token.pos]!, token.pos + 1) + 1;
  if (token.kind === 'number') return token.pos + token.text.length;
  return token.pos + String(token.value).length;
}

/** The tree of a case search query; a CaseSearchQueryError names the column and what was expected. */
export function parseXPath(text: string): XPathNode {
  return new Parser(tokenizeXPath(text), text).parse();
}
