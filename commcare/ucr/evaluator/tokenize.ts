/**
 * A tokenizer for the Python expression subset the UCR evaluator accepts (simpleeval over Python's
 * own parser): numbers, strings, names, keywords and operators.
 */
export type Token =
  | { kind: 'int'; value: number; pos: number }
  | { kind: 'float'; value: number; pos: number }
  | { kind: 'str'; value: string; pos: number }
  | { kind: 'name'; value: string; pos: number }
  | { kind: 'op'; value: string; pos: number }
  | { kind: 'end'; value: ''; pos: number };

export class EvaluatorSyntaxError extends Error {
  override readonly name = 'EvaluatorSyntaxError';
}

const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '->',
  ':=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
  '<',
  '>',
  '=',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  ';',
  '&',
  '|',
  '^',
  '~',
];

const NUMBER_RE =
  /^(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[oO][0-7](?:_?[0-7])*|0[bB][01](?:_?[01])*|(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.?(?:[eE][+-]?\d(?:_?\d)*)?)/;
const NAME_RE = /^[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*/;

function unescape(body: string, raw: boolean, pos: number): string {
  if (raw) return body;
  return body.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\n|.)/g,
    (_m, e: string) => {
      switch (e[0]) {
        case 'n':
          return '\n';
        case 't':
          return '\t';
        case 'r':
          return '\r';
        case '\\':
          return '\\';
        case "'":
          return "'";
        case '"':
          return '"';
        case 'a':
          return '\x07';
        case 'b':
          return '\b';
        case 'f':
          return '\f';
        case 'v':
          return '\v';
        case '\n':
          return '';
        case 'x':
        case 'u':
        case 'U':
          return String.fromCodePoint(parseInt(e.slice(1), 16));
        default:
          if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
          if (e === 'N') throw new EvaluatorSyntaxError(`unsupported \\N escape at ${pos}`);
          return `\\${e}`;
      }
    },
  );
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const depth: string[] = [];
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\f') {
      i++;
      continue;
    }
    if (ch === '\\' && source[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (ch === '\n' || ch === '\r') {
      // Newlines only continue a statement inside brackets; otherwise they end it like ';'.
      if (depth.length === 0) tokens.push({ kind: 'op', value: ';', pos: i });
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    const rest = source.slice(i);
    const prefix = /^([rRbBuUfF]{0,2})(['"])/.exec(rest);
    if (prefix !== null && (prefix[1] === '' || NAME_RE.exec(rest)?.[0] === prefix[1])) {
      const flags = prefix[1]!.toLowerCase();
      if (flags.includes('f')) throw new EvaluatorSyntaxError(`f-strings are not supported (at ${i})`);
      if (flags.includes('b')) throw new EvaluatorSyntaxError(`bytes literals are not supported (at ${i})`);
      const quote = prefix[2]!;
      const triple = rest.startsWith(quote.repeat(3), prefix[1]!.length);
      const open = prefix[1]!.length + (triple ? 3 : 1);
      const close = triple ? quote.repeat(3) : quote;
      let j = open;
      while (j < rest.length) {
        if (rest[j] === '\\') {
          j += 2;
          continue;
        }
        if (rest.startsWith(close, j)) break;
        if (!triple && rest[j] === '\n') throw new EvaluatorSyntaxError(`unterminated string at ${i}`);
        j++;
      }
      if (j >= rest.length) throw new EvaluatorSyntaxError(`unterminated string at ${i}`);
      tokens.push({ kind: 'str', value: unescape(rest.slice(open, j), flags.includes('r'), i), pos: i });
      i += j + close.length;
      continue;
    }
    const num = /^[0-9.]/.test(ch) ? NUMBER_RE.exec(rest) : null;
    if (num !== null && num[0] !== '.' && num[0] !== '') {
      const text = num[0].replace(/_/g, '');
      if (/^0[xXoObB]/.test(text)) tokens.push({ kind: 'int', value: Number(text), pos: i });
      else if (/[.eE]/.test(text)) tokens.push({ kind: 'float', value: Number(text), pos: i });
      else {
        if (/^0\d/.test(text) && !/^0+$/.test(text))
          throw new EvaluatorSyntaxError(`leading zeros in an integer at ${i}`);
        tokens.push({ kind: 'int', value: Number(text), pos: i });
      }
      i += num[0].length;
      if (/^[jJ]/.test(source.slice(i)))
        throw new EvaluatorSyntaxError(`complex numbers are not supported (at ${i})`);
      continue;
    }
    const name = NAME_RE.exec(rest);
    if (name !== null) {
      tokens.push({ kind: 'name', value: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op === undefined)
      throw new EvaluatorSyntaxError(`unexpected character ${JSON.stringify(ch)} at ${i}`);
    if (op === '(' || op === '[' || op === '{') depth.push(op);
    if (op === ')' || op === ']' || op === '}') depth.pop();
    tokens.push({ kind: 'op', value: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', value: '', pos: source.length });
  return tokens;
}
