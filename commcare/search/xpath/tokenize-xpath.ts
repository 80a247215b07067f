/**
 * The tokens of CommCare's case search language (XPath 1.0 expressions, as eulxml lexes them):
 * string literals in single or double quotes (no escapes, as XPath), numbers, names (property
 * names and function names may contain `-` and `.`; `@case_type` is one name), operators, and the
 * operator names `and`, `or`, `div`, `mod`, which are operators only where an operand ended before
 * them (XPath's disambiguation rule), so a property may still be called `and`.
 */
import { CaseSearchQueryError } from './xpath-error.js';

export type XPathToken =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'name'; value: string; pos: number }
  | { kind: 'op'; value: XPathOperator; pos: number }
  | { kind: 'end'; value: ''; pos: number };

export type XPathOperator =
  | 'and'
  | 'or'
  | 'div'
  | 'mod'
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '|'
  | '('
  | ')'
  | ','
  | '['
  | ']';

const SYMBOLS: readonly XPathOperator[] = [
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '|',
  '(',
  ')',
  ',',
  '[',
  ']',
];
const OPERATOR_NAMES = new Set(['and', 'or', 'div', 'mod']);

const isNameStart = (ch: string) => /[\p{L}_]/u.test(ch);
const isNameChar = (ch: string) => /[\p{L}\p{N}_.-]/u.test(ch);
const isDigit = (ch: string | undefined) => ch !== undefined && ch >= '0' && ch <= '9';

/** True when the token before ends an operand, so a following `and`/`or`/`*` is an operator. */
function endsOperand(previous: XPathToken | undefined): boolean {
  if (!previous) return false;
  if (previous.kind === 'op') return previous.value === ')' || previous.value === ']';
  return true;
}

export function tokenizeXPath(text: string): XPathToken[] {
  const tokens: XPathToken[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const pos = i;
    if (ch === "'" || ch === '"') {
      const close = text.indexOf(ch, i + 1);
      if (close < 0) throw new CaseSearchQueryError(`expected a closing ${ch} for this string`, pos, text);
      tokens.push({ kind: 'string', value: text.slice(i + 1, close), pos });
      i = close + 1;
      continue;
    }
    if (isDigit(ch) || (ch === '.' && isDigit(text[i + 1]))) {
      const match = /^\d*(\.\d*)?/.exec(text.slice(i))![0];
      tokens.push({ kind: 'number', value: Number(match), text: match, pos });
      i += match.length;
      continue;
    }
    if (isNameStart(ch) || (ch === '@' && isNameStart(text[i + 1] ?? ''))) {
      let end = i + 1;
      while (end < text.length && isNameChar(text[end]!)) end++;
      const name = text.slice(i, end);
      const asOperator = OPERATOR_NAMES.has(name) && endsOperand(tokens[tokens.length - 1]);
      tokens.push(
        asOperator ? { kind: 'op', value: name as XPathOperator, pos } : { kind: 'name', value: name, pos },
      );
      i = end;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (!symbol) {
      throw new CaseSearchQueryError(
        `unexpected character ${JSON.stringify(ch)}; expected a property name, a 'string', a number, a function call or an operator (=, !=, <, <=, >, >=, and, or)`,
        pos,
        text,
      );
    }
    tokens.push({ kind: 'op', value: symbol, pos });
    i += symbol.length;
  }
  tokens.push({ kind: 'end', value: '', pos: text.length });
  return tokens;
}
