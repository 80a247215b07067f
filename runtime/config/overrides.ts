/**
 * `--set path=value` overrides (as Redpanda Connect's `--set`): a dotted path into the pipeline file
 * (`sinks.out.table`, `processors[0].sink` or `processors.0.sink`) and a YAML value, applied to the
 * parsed document before validation, so an override is checked exactly like the file.
 */
import { isMap, isSeq, parse as parseYamlValue, type Document } from 'yaml';

export interface ConfigOverride {
  /** As typed, for messages. */
  text: string;
  path: (string | number)[];
  value: unknown;
}

export class OverrideSyntaxError extends Error {
  override readonly name = 'OverrideSyntaxError';
}

const segmentPattern = /^([^.[\]]+)|^\[(\d+)\]|^\.([^.[\]]+)/;

/** Parses `a.b[0].c=value`; the value is read as YAML (`5` is a number, `[a, b]` a list). */
export function parseOverride(text: string): ConfigOverride {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new OverrideSyntaxError(`--set ${text}: expected path=value, e.g. sinks.out.table=public.docs`);
  const pathText = text.slice(0, eq).trim();
  const path: (string | number)[] = [];
  let rest = pathText;
  while (rest.length) {
    const match = segmentPattern.exec(rest);
    if (!match)
      throw new OverrideSyntaxError(
        `--set ${text}: cannot read the path at '${rest}' (expected name, .name or [index])`,
      );
    const name = match[1] ?? match[3];
    path.push(match[2] !== undefined ? Number(match[2]) : /^\d+$/.test(name!) ? Number(name) : name!);
    rest = rest.slice(match[0].length);
  }
  let value: unknown;
  try {
    value = parseYamlValue(text.slice(eq + 1)) as unknown;
  } catch (error) {
    throw new OverrideSyntaxError(`--set ${text}: the value is not valid YAML: ${(error as Error).message}`);
  }
  return { text, path, value: value ?? null };
}

/**
 * Sets each override in the document, creating missing mappings on the way. Returns a message for
 * each override that cannot apply (an index past the end of a list, a path through a scalar).
 */
export function applyOverrides(doc: Document, overrides: readonly ConfigOverride[]): string[] {
  const problems: string[] = [];
  for (const override of overrides) {
    const problem = blockedAt(doc, override.path);
    if (problem) problems.push(`--set ${override.text}: ${problem}`);
    else doc.setIn(override.path, doc.createNode(override.value));
  }
  return problems;
}

/** Why the path cannot be set: a list index past its end (appending is allowed), or a scalar on the way. */
function blockedAt(doc: Document, path: readonly (string | number)[]): string | undefined {
  let node: unknown = doc.contents;
  for (const [i, segment] of path.entries()) {
    const here = path.slice(0, i).join('.') || '(file)';
    if (isSeq(node)) {
      const size = node.items.length;
      const last = i === path.length - 1;
      if (typeof segment !== 'number' || segment > size || (!last && segment === size))
        return `${here} is a list of ${size}; expected an index up to ${last ? size : size - 1}`;
    } else if (!isMap(node)) {
      return `${here} is not a mapping or list`;
    }
    const next: unknown = node.get(segment, true);
    // A missing key: setIn creates the mappings below it.
    if (next === undefined) return undefined;
    node = next;
  }
  return undefined;
}
