/** Line and column of a path inside a parsed YAML document, so every problem points into the file as written. */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode } from 'yaml';

export type PathSegment = string | number;

/** `sinks.reports.table`, `processors[0].catalog`. */
export const formatPath = (path: readonly PathSegment[]) =>
  path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');

export class YamlLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Line and column of the deepest node on `path` that exists; for an unknown key, of that key. */
  at(path: readonly PathSegment[], key?: string): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = (node as YamlNode | null)?.range?.[0] ?? 0;
    // Where the current node is named: its key in the parent mapping (a missing field points there).
    let namedAt = offset;
    for (const segment of [...path, ...(key === undefined ? [] : [key])]) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
        );
        if (!pair) {
          offset = namedAt;
          break;
        }
        namedAt = offset = (pair.key as YamlNode).range?.[0] ?? offset;
        if (segment === key) break;
        node = pair.value;
        offset = (node as YamlNode | null)?.range?.[0] ?? offset;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
        node = node.items[segment];
        namedAt = offset = (node as YamlNode | null)?.range?.[0] ?? offset;
      } else {
        break;
      }
    }
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }
}
