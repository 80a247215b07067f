/**
 * The conditions of a `sum_when` column. CommCare pastes them into SQL as written (and so allows them
 * only in static reports); here they are parsed instead, from a small grammar, and compiled with
 * quoted identifiers and bound values, so a configuration cannot inject SQL through them:
 *
 *   condition  := comparison ( AND comparison )*
 *   comparison := column ( = | == | != | <> | < | <= | > | >= ) literal  |  column IS [NOT] NULL
 *   literal    := number | 'text' (a quote inside doubled)
 *
 * `column` must be a column of the data source.
 */
import { columnSql, comparisonCast, type DataSourceColumn } from './data-source-column.js';
import type { SqlParams } from './sql-params.js';
import { valueProblem } from './report-filters.js';

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'op'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'string'; text: string };

const tokenPattern =
  /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<>|<=|>=|=|<|>)|(-?\d+(?:\.\d+)?)|'((?:[^']|'')*)')/y;

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  tokenPattern.lastIndex = 0;
  let position = 0;
  while (text.slice(position).trim() !== '') {
    tokenPattern.lastIndex = position;
    const match = tokenPattern.exec(text);
    if (!match) return `unexpected text at ${JSON.stringify(text.slice(position).trim().slice(0, 20))}`;
    position = tokenPattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'word', text: match[1] });
    else if (match[2] !== undefined) tokens.push({ kind: 'op', text: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: 'number', text: match[3] });
    else tokens.push({ kind: 'string', text: match[4]!.replaceAll("''", "'") });
  }
  return tokens;
}

const sqlOperators: Readonly<Record<string, string>> = {
  '=': '=',
  '==': '=',
  '!=': '<>',
  '<>': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

/** A parsed condition: emits its SQL with bound values into a query's parameters. */
export type SumWhenCondition = (params: SqlParams) => string;

/** Parses one condition, or returns why it cannot be used (for a `ReportConfigIssue`). */
export function parseSumWhenCondition(
  text: string,
  columns: ReadonlyMap<string, DataSourceColumn>,
): SumWhenCondition | string {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return `cannot read condition ${JSON.stringify(text)}: ${tokens}`;
  const parts: SumWhenCondition[] = [];
  let index = 0;
  const expected = 'expected "<column> <op> <number or \'text\'>" or "<column> IS [NOT] NULL", joined by AND';
  for (;;) {
    const name = tokens[index++];
    if (name?.kind !== 'word') return `${expected}; got ${JSON.stringify(text)}`;
    const column = columns.get(name.text);
    if (!column)
      return `${JSON.stringify(name.text)} in ${JSON.stringify(text)} is not a column of the data source`;
    const sql = columnSql(column);
    const next = tokens[index++];
    if (next?.kind === 'word' && next.text.toUpperCase() === 'IS') {
      let negate = false;
      let word = tokens[index++];
      if (word?.kind === 'word' && word.text.toUpperCase() === 'NOT') {
        negate = true;
        word = tokens[index++];
      }
      if (word?.kind !== 'word' || word.text.toUpperCase() !== 'NULL')
        return `${expected}; got ${JSON.stringify(text)}`;
      parts.push(() => `${sql} IS ${negate ? 'NOT ' : ''}NULL`);
    } else if (next?.kind === 'op') {
      const literal = tokens[index++];
      if (literal?.kind !== 'number' && literal?.kind !== 'string')
        return `${expected}; got ${JSON.stringify(text)}`;
      const problem = valueProblem(literal.text, column);
      if (problem) return `in ${JSON.stringify(text)}: ${problem}`;
      const operator = sqlOperators[next.text]!;
      const cast = comparisonCast(column);
      if (column.datatype === 'array')
        return `in ${JSON.stringify(text)}: an array column cannot be compared`;
      parts.push((params) => `${sql} ${operator} ${params.bind(literal.text, cast)}`);
    } else return `${expected}; got ${JSON.stringify(text)}`;
    if (index === tokens.length) break;
    const joiner = tokens[index++];
    if (joiner?.kind !== 'word' || joiner.text.toUpperCase() !== 'AND')
      return `${expected}; got ${JSON.stringify(text)}`;
  }
  return (params) => parts.map((part) => `(${part(params)})`).join(' AND ');
}
