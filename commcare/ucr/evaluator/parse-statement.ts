/**
 * Parses the first statement of an evaluator `statement` into an AST of the Python expression
 * subset, recording (not rejecting) the constructs CommCare refuses at evaluation time (`**`,
 * lambdas, dict comprehensions…) so they evaluate to null there, as in CommCare.
 */
import { makeFloat } from '../values/kinds.js';
import { EvaluatorSyntaxError, tokenize, type Token } from './tokenize.js';

export type Comprehension = { targets: string[]; iter: Node; ifs: Node[] };

export type Node =
  | { t: 'const'; value: unknown }
  | { t: 'name'; id: string }
  | { t: 'unary'; op: string; operand: Node }
  | { t: 'not'; operand: Node }
  | { t: 'bin'; op: string; left: Node; right: Node }
  | { t: 'bool'; op: 'and' | 'or'; values: Node[] }
  | { t: 'compare'; left: Node; ops: string[]; comparators: Node[] }
  | { t: 'ifexp'; test: Node; body: Node; orelse: Node }
  | { t: 'call'; func: Node; args: Node[]; keywords: [string, Node][] }
  | { t: 'attr'; value: Node; attr: string }
  | { t: 'subscript'; value: Node; index: Node }
  | { t: 'slice'; value: Node; lower: Node | null; upper: Node | null; step: Node | null }
  | { t: 'list' | 'tuple' | 'set'; elts: Node[] }
  | { t: 'dict'; keys: Node[]; values: Node[] }
  | { t: 'comp'; kind: 'list' | 'set' | 'gen'; elt: Node; generators: Comprehension[] }
  | { t: 'refused'; what: string };

const COMPARE_OPS = new Set(['<', '>', '==', '>=', '<=', '!=']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.i++;
    return token;
  }
  private isOp(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'op' && token.value === value;
  }
  private isKeyword(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'name' && token.value === value;
  }
  private expectOp(value: string): void {
    if (!this.isOp(value)) throw new EvaluatorSyntaxError(`expected "${value}" at ${this.peek().pos}`);
    this.i++;
  }
  private expectKeyword(value: string): void {
    if (!this.isKeyword(value)) throw new EvaluatorSyntaxError(`expected "${value}" at ${this.peek().pos}`);
    this.i++;
  }

  statement(): Node {
    // `x = expr` evaluates to expr; only the first of `a; b` counts.
    while (this.peek().kind === 'name' && this.isOp('=', 1)) this.i += 2;
    const node = this.testList();
    if (!this.isOp(';') && this.peek().kind !== 'end')
      throw new EvaluatorSyntaxError(`unexpected token at ${this.peek().pos}`);
    return node;
  }

  /** An expression or a bare tuple `a, b`. */
  private testList(): Node {
    const first = this.test();
    if (!this.isOp(',')) return first;
    const elts = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.atExpressionEnd()) break;
      elts.push(this.test());
    }
    return { t: 'tuple', elts };
  }

  private atExpressionEnd(): boolean {
    const token = this.peek();
    return (
      token.kind === 'end' || (token.kind === 'op' && [')', ']', '}', ';', '=', ':'].includes(token.value))
    );
  }

  test(): Node {
    if (this.isKeyword('lambda')) {
      while (!this.isOp(':') && this.peek().kind !== 'end') this.next();
      this.expectOp(':');
      this.test();
      return { t: 'refused', what: 'lambda' };
    }
    const body = this.orTest();
    if (this.isKeyword('if')) {
      this.next();
      const test = this.orTest();
      this.expectKeyword('else');
      const orelse = this.test();
      return { t: 'ifexp', test, body, orelse };
    }
    if (this.isOp(':=')) {
      this.next();
      this.test();
      return { t: 'refused', what: 'assignment expression' };
    }
    return body;
  }

  private orTest(): Node {
    const values = [this.andTest()];
    while (this.isKeyword('or')) {
      this.next();
      values.push(this.andTest());
    }
    return values.length === 1 ? values[0]! : { t: 'bool', op: 'or', values };
  }

  private andTest(): Node {
    const values = [this.notTest()];
    while (this.isKeyword('and')) {
      this.next();
      values.push(this.notTest());
    }
    return values.length === 1 ? values[0]! : { t: 'bool', op: 'and', values };
  }

  private notTest(): Node {
    if (this.isKeyword('not')) {
      this.next();
      return { t: 'not', operand: this.notTest() };
    }
    return this.comparison();
  }

  private comparison(): Node {
    const left = this.bitOr();
    const ops: string[] = [];
    const comparators: Node[] = [];
    for (;;) {
      const token = this.peek();
      let op: string | undefined;
      if (token.kind === 'op' && COMPARE_OPS.has(token.value)) {
        op = token.value;
        this.next();
      } else if (this.isKeyword('in')) {
        op = 'in';
        this.next();
      } else if (this.isKeyword('not') && this.isKeyword('in', 1)) {
        op = 'not in';
        this.i += 2;
      } else if (this.isKeyword('is')) {
        this.next();
        if (this.isKeyword('not')) {
          this.next();
          op = 'is not';
        } else op = 'is';
      }
      if (op === undefined) break;
      ops.push(op);
      comparators.push(this.bitOr());
    }
    return ops.length === 0 ? left : { t: 'compare', left, ops, comparators };
  }

  private binaryLevel(ops: readonly string[], next: () => Node): Node {
    let left = next();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || !ops.includes(token.value)) return left;
      this.next();
      left = { t: 'bin', op: token.value, left, right: next() };
    }
  }

  private bitOr(): Node {
    return this.binaryLevel(['|'], () => this.bitXor());
  }
  private bitXor(): Node {
    return this.binaryLevel(['^'], () => this.bitAnd());
  }
  private bitAnd(): Node {
    return this.binaryLevel(['&'], () => this.shift());
  }
  private shift(): Node {
    return this.binaryLevel(['<<', '>>'], () => this.arith());
  }
  private arith(): Node {
    return this.binaryLevel(['+', '-'], () => this.term());
  }
  private term(): Node {
    return this.binaryLevel(['*', '/', '//', '%', '@'], () => this.factor());
  }

  private factor(): Node {
    const token = this.peek();
    if (token.kind === 'op' && (token.value === '-' || token.value === '+' || token.value === '~')) {
      this.next();
      return { t: 'unary', op: token.value, operand: this.factor() };
    }
    return this.power();
  }

  private power(): Node {
    const base = this.atomExpr();
    if (this.isOp('**')) {
      this.next();
      this.factor();
      return { t: 'refused', what: 'the ** operator' };
    }
    return base;
  }

  private atomExpr(): Node {
    let node = this.atom();
    for (;;) {
      if (this.isOp('(')) {
        this.next();
        const args: Node[] = [];
        const keywords: [string, Node][] = [];
        while (!this.isOp(')')) {
          if (this.isOp('*') || this.isOp('**'))
            throw new EvaluatorSyntaxError(`argument unpacking is not supported (at ${this.peek().pos})`);
          if (this.peek().kind === 'name' && this.isOp('=', 1)) {
            const name = this.next().value as string;
            this.next();
            keywords.push([name, this.test()]);
          } else {
            const arg = this.test();
            if (this.isKeyword('for')) args.push(this.comprehension('gen', arg));
            else args.push(arg);
          }
          if (!this.isOp(',')) break;
          this.next();
        }
        this.expectOp(')');
        node = { t: 'call', func: node, args, keywords };
      } else if (this.isOp('[')) {
        this.next();
        node = this.subscript(node);
      } else if (this.isOp('.')) {
        this.next();
        const name = this.next();
        if (name.kind !== 'name') throw new EvaluatorSyntaxError(`expected an attribute name at ${name.pos}`);
        node = { t: 'attr', value: node, attr: name.value };
      } else {
        return node;
      }
    }
  }

  private subscript(value: Node): Node {
    const part = (): Node | null => (this.isOp(':') || this.isOp(']') ? null : this.test());
    const lower = part();
    if (this.isOp(':')) {
      this.next();
      const upper = part();
      let step: Node | null = null;
      if (this.isOp(':')) {
        this.next();
        step = part();
      }
      this.expectOp(']');
      return { t: 'slice', value, lower, upper, step };
    }
    if (lower === null) throw new EvaluatorSyntaxError(`empty subscript at ${this.peek().pos}`);
    let index = lower;
    if (this.isOp(',')) {
      const elts = [lower];
      while (this.isOp(',')) {
        this.next();
        if (this.isOp(']')) break;
        elts.push(this.test());
      }
      index = { t: 'tuple', elts };
    }
    this.expectOp(']');
    return { t: 'subscript', value, index };
  }

  private comprehension(kind: 'list' | 'set' | 'gen', elt: Node): Node {
    const generators: Comprehension[] = [];
    while (this.isKeyword('for')) {
      this.next();
      const targets: string[] = [];
      const paren = this.isOp('(');
      if (paren) this.next();
      for (;;) {
        const name = this.next();
        if (name.kind !== 'name') throw new EvaluatorSyntaxError(`expected a loop variable at ${name.pos}`);
        targets.push(name.value);
        if (!this.isOp(',')) break;
        this.next();
      }
      if (paren) this.expectOp(')');
      this.expectKeyword('in');
      const iter = this.orTest();
      const ifs: Node[] = [];
      while (this.isKeyword('if')) {
        this.next();
        ifs.push(this.orTest());
      }
      generators.push({ targets, iter, ifs });
    }
    return { t: 'comp', kind, elt, generators };
  }

  private atom(): Node {
    const token = this.next();
    switch (token.kind) {
      case 'int':
      case 'float':
        return { t: 'const', value: token.kind === 'float' ? makeFloat(token.value) : token.value };
      case 'str': {
        let value = token.value;
        while (this.peek().kind === 'str') value += this.next().value as string;
        return { t: 'const', value };
      }
      case 'name':
        if (token.value === 'True') return { t: 'const', value: true };
        if (token.value === 'False') return { t: 'const', value: false };
        if (token.value === 'None') return { t: 'const', value: null };
        if (
          [
            'and',
            'or',
            'not',
            'in',
            'is',
            'if',
            'else',
            'for',
            'lambda',
            'yield',
            'await',
            'import',
            'def',
            'class',
            'return',
          ].includes(token.value)
        ) {
          throw new EvaluatorSyntaxError(`unexpected keyword "${token.value}" at ${token.pos}`);
        }
        return { t: 'name', id: token.value };
      case 'op':
        if (token.value === '(') {
          if (this.isOp(')')) {
            this.next();
            return { t: 'tuple', elts: [] };
          }
          const first = this.test();
          if (this.isKeyword('for')) {
            const comp = this.comprehension('gen', first);
            this.expectOp(')');
            return comp;
          }
          if (!this.isOp(',')) {
            this.expectOp(')');
            return first;
          }
          const elts = [first];
          while (this.isOp(',')) {
            this.next();
            if (this.isOp(')')) break;
            elts.push(this.test());
          }
          this.expectOp(')');
          return { t: 'tuple', elts };
        }
        if (token.value === '[') {
          if (this.isOp(']')) {
            this.next();
            return { t: 'list', elts: [] };
          }
          const first = this.test();
          if (this.isKeyword('for')) {
            const comp = this.comprehension('list', first);
            this.expectOp(']');
            return comp;
          }
          const elts = [first];
          while (this.isOp(',')) {
            this.next();
            if (this.isOp(']')) break;
            elts.push(this.test());
          }
          this.expectOp(']');
          return { t: 'list', elts };
        }
        if (token.value === '{') return this.braces();
        throw new EvaluatorSyntaxError(`unexpected "${token.value}" at ${token.pos}`);
      default:
        throw new EvaluatorSyntaxError('unexpected end of statement');
    }
  }

  /** A dict, a set, or a (refused) dict comprehension, after its `{`. */
  private braces(): Node {
    if (this.isOp('}')) {
      this.next();
      return { t: 'dict', keys: [], values: [] };
    }
    const first = this.test();
    if (this.isOp(':')) {
      this.next();
      const value = this.test();
      if (this.isKeyword('for')) {
        this.comprehension('list', value);
        this.expectOp('}');
        return { t: 'refused', what: 'dict comprehensions' };
      }
      const keys = [first];
      const values = [value];
      while (this.isOp(',')) {
        this.next();
        if (this.isOp('}')) break;
        keys.push(this.test());
        this.expectOp(':');
        values.push(this.test());
      }
      this.expectOp('}');
      return { t: 'dict', keys, values };
    }
    if (this.isKeyword('for')) {
      const comp = this.comprehension('set', first);
      this.expectOp('}');
      return comp;
    }
    const elts = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.isOp('}')) break;
      elts.push(this.test());
    }
    this.expectOp('}');
    return { t: 'set', elts };
  }
}

/** The AST of the first statement; throws EvaluatorSyntaxError for what Python cannot parse. */
export function parseStatement(statement: string): Node {
  const tokens = tokenize(statement.trim());
  if (tokens.length === 1) throw new EvaluatorSyntaxError('empty statement');
  return new Parser(tokens).statement();
}
