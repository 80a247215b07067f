/**
 * The part of jsonpath-ng's syntax UCR configurations use: `$`, `.field`, `['field']`, `[n]`, `[*]`,
 * `.*` and `..field`. Parsed once at compile time; anything else is a configuration error.
 */
import { isDict } from '../values/kinds.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'descend'; name: string };

/** Parses a path; throws an Error with a reason when it is outside the supported syntax. */
export function parseJsonPath(text: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const s = text.trim();
  const ident = /^[A-Za-z_@#][\w@#:-]*/;
  if (s.startsWith('$')) i = 1;
  let first = true;
  while (i < s.length) {
    const rest = s.slice(i);
    if (rest.startsWith('..')) {
      const m = ident.exec(rest.slice(2));
      if (m === null) throw new Error(`expected a field name after ".." at ${i}`);
      steps.push({ kind: 'descend', name: m[0] });
      i += 2 + m[0].length;
    } else if (rest.startsWith('.*')) {
      steps.push({ kind: 'wildcard' });
      i += 2;
    } else if (rest.startsWith('.') || (first && i === 0)) {
      const offset = rest.startsWith('.') ? 1 : 0;
      const m = ident.exec(rest.slice(offset));
      if (m === null) {
        if (rest.slice(offset).startsWith('*')) {
          steps.push({ kind: 'wildcard' });
          i += offset + 1;
        } else throw new Error(`expected a field name at ${i}`);
      } else {
        steps.push({ kind: 'field', name: m[0] });
        i += offset + m[0].length;
      }
    } else if (rest.startsWith('[')) {
      const m = /^\[\s*(?:(\*)|(-?\d+)|'([^']*)'|"([^"]*)")\s*\]/.exec(rest);
      if (m === null) throw new Error(`unsupported bracket expression at ${i}`);
      if (m[1] !== undefined) steps.push({ kind: 'wildcard' });
      else if (m[2] !== undefined) steps.push({ kind: 'index', index: Number(m[2]) });
      else steps.push({ kind: 'field', name: m[3] ?? m[4]! });
      i += m[0].length;
    } else {
      throw new Error(`unexpected "${rest[0]}" at ${i}`);
    }
    first = false;
  }
  return steps;
}

function descend(value: unknown, name: string, out: unknown[]): void {
  if (isDict(value)) {
    if (Object.hasOwn(value, name)) out.push(value[name]);
    for (const v of Object.values(value)) descend(v, name, out);
  } else if (Array.isArray(value)) {
    for (const v of value) descend(v, name, out);
  }
}

/** Every match of the path in `root`, in document order. */
export function findJsonPath(steps: readonly Step[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      switch (step.kind) {
        case 'field':
          if (isDict(value) && Object.hasOwn(value, step.name)) next.push(value[step.name]);
          break;
        case 'index':
          if (Array.isArray(value)) {
            const idx = step.index < 0 ? value.length + step.index : step.index;
            if (idx >= 0 && idx < value.length) next.push(value[idx]);
          }
          break;
        case 'wildcard':
          if (Array.isArray(value)) next.push(...(value as unknown[]));
          else if (isDict(value)) next.push(...Object.values(value));
          break;
        case 'descend':
          descend(value, step.name, next);
          break;
      }
    }
    current = next;
  }
  return current;
}
