/**
 * The arithmetic part of the UCR `evaluator` statement language (§7), enough for expression columns
 * such as `a * b` or `(taken / doses) * 100`: numbers, variable names, parentheses, unary minus and
 * plus, and `+ - * / // %` with Python's meaning (`/` true division, `//` and `%` floor towards
 * minus infinity). Evaluation follows the evaluator's error rule: any type error or division by zero
 * gives null. Everything else (calls, comparisons, strings, `**`) is refused when parsed.
 */

type Node =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'unary'; readonly operator: '-' | '+'; readonly operand: Node }
  | { readonly kind: 'binary'; readonly operator: BinaryOperator; readonly left: Node; readonly right: Node };

type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%';

/** A parsed statement: its variable names, and a function of their values. */
export interface ArithmeticStatement {
  readonly names: readonly string[];
  evaluate(variables: Readonly<Record<string, unknown>>): number | null;
}

const tokenPattern = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\/\/|\*\*|[-+*/%()]))/y;

function tokenize(text: string): string[] | string {
  const tokens: string[] = [];
  let position = 0;
  while (text.slice(position).trim() !== '') {
    tokenPattern.lastIndex = position;
    const match = tokenPattern.exec(text);
    if (!match) return `unexpected ${JSON.stringify(text.slice(position).trim().slice(0, 20))}`;
    if (match[3] === '**') return '** is refused by the evaluator';
    tokens.push(match[0].trim());
    position = tokenPattern.lastIndex;
  }
  return tokens;
}

/** Parses a statement, or returns why it is not one this language accepts. */
export function parseArithmetic(text: string): ArithmeticStatement | string {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return tokens;
  let index = 0;
  const names = new Set<string>();
  const peek = () => tokens[index];

  // Precedence climbing: additive < multiplicative < unary < primary.
  function primary(): Node | string {
    const token = tokens[index++];
    if (token === undefined) return 'unexpected end of statement';
    if (token === '(') {
      const inner = additive();
      if (typeof inner === 'string') return inner;
      if (tokens[index++] !== ')') return 'expected )';
      return inner;
    }
    if (token === '-' || token === '+') {
      const operand = primary();
      return typeof operand === 'string' ? operand : { kind: 'unary', operator: token, operand };
    }
    if (/^[\d.]/.test(token)) return { kind: 'number', value: Number(token) };
    if (/^[A-Za-z_]/.test(token)) {
      if (peek() === '(') return `function calls are not supported (${token})`;
      names.add(token);
      return { kind: 'name', name: token };
    }
    return `unexpected ${JSON.stringify(token)}`;
  }
  function binary(next: () => Node | string, operators: readonly string[]): () => Node | string {
    return () => {
      let left = next();
      while (typeof left !== 'string' && operators.includes(peek() ?? '')) {
        const operator = tokens[index++] as BinaryOperator;
        const right = next();
        if (typeof right === 'string') return right;
        left = { kind: 'binary', operator, left, right };
      }
      return left;
    };
  }
  const multiplicative = binary(primary, ['*', '/', '//', '%']);
  const additive = binary(multiplicative, ['+', '-']);

  const root = additive();
  if (typeof root === 'string') return root;
  if (index !== tokens.length) return `unexpected ${JSON.stringify(tokens[index])}`;

  const evaluate = (node: Node, variables: Readonly<Record<string, unknown>>): number | null => {
    switch (node.kind) {
      case 'number':
        return node.value;
      case 'name': {
        const value = variables[node.name];
        // Booleans are numbers in Python arithmetic; anything else (text, null) is a type error.
        return typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : null;
      }
      case 'unary': {
        const value = evaluate(node.operand, variables);
        return value === null ? null : node.operator === '-' ? -value : value;
      }
      case 'binary': {
        const left = evaluate(node.left, variables);
        const right = evaluate(node.right, variables);
        if (left === null || right === null) return null;
        switch (node.operator) {
          case '+':
            return left + right;
          case '-':
            return left - right;
          case '*':
            return left * right;
          case '/':
            return right === 0 ? null : left / right;
          case '//':
            return right === 0 ? null : Math.floor(left / right);
          case '%':
            return right === 0 ? null : left - right * Math.floor(left / right);
        }
      }
    }
  };
  return { names: [...names], evaluate: (variables) => evaluate(root, variables) };
}
