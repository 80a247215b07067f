/** The syntax tree of a case search query; `pos`/`end` are offsets of the node's text in the query. */

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type BinaryOperator = 'and' | 'or' | ComparisonOperator | '+' | '-' | '*' | 'div' | 'mod' | '|';

interface Span {
  pos: number;
  end: number;
}

export type XPathNode =
  | ({ type: 'string'; value: string } & Span)
  | ({ type: 'number'; value: number } & Span)
  /** A property (`age`, `@case_type`) or a related case path (`parent/host/name`). */
  | ({ type: 'path'; steps: string[] } & Span)
  | ({ type: 'call'; name: string; args: XPathNode[] } & Span)
  | ({ type: 'binary'; op: BinaryOperator; left: XPathNode; right: XPathNode } & Span)
  | ({ type: 'negate'; operand: XPathNode } & Span);

export const comparisonOperators: readonly ComparisonOperator[] = ['=', '!=', '<', '<=', '>', '>='];

export function isComparison(op: BinaryOperator): op is ComparisonOperator {
  return (comparisonOperators as readonly string[]).includes(op);
}

/** The query text of a node, as written. */
export function sourceOf(node: XPathNode, query: string): string {
  return query.slice(node.pos, node.end);
}
