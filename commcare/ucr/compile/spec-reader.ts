/**
 * Reading spec JSON with paths in every error: required keys, types of fields, and the unknown-key
 * rejection filter and indicator specs have (`_allow_dynamic_properties = False`).
 */
import { isDict } from '../values/kinds.js';
import { joinPath, UcrConfigError } from './ucr-config-error.js';

export type Spec = Record<string, unknown>;

export function requireObject(value: unknown, path: string, what: string): Spec {
  if (!isDict(value)) throw new UcrConfigError(path, `${what} (a JSON object)`);
  return value;
}

export function requireKey(spec: Spec, key: string, path: string, what: string): unknown {
  if (!Object.hasOwn(spec, key)) throw new UcrConfigError(joinPath(path, key), `${what} (required)`);
  return spec[key];
}

export function requireString(spec: Spec, key: string, path: string, what = 'a string'): string {
  const value = requireKey(spec, key, path, what);
  if (typeof value !== 'string' || value === '')
    throw new UcrConfigError(joinPath(path, key), `${what} (a non-empty string)`);
  return value;
}

export function optionalString(spec: Spec, key: string, path: string): string | undefined {
  const value = spec[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new UcrConfigError(joinPath(path, key), 'a string');
  return value;
}

export function optionalBoolean(spec: Spec, key: string, path: string, fallback: boolean): boolean {
  const value = spec[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new UcrConfigError(joinPath(path, key), 'true or false');
  return value;
}

export function requireList(spec: Spec, key: string, path: string, what: string, nonEmpty = true): unknown[] {
  const value = requireKey(spec, key, path, what);
  if (!Array.isArray(value) || (nonEmpty && value.length === 0)) {
    throw new UcrConfigError(joinPath(path, key), `${what} (a ${nonEmpty ? 'non-empty ' : ''}list)`);
  }
  return value;
}

/** Rejects keys outside `allowed`, as the strict jsonobject specs do. */
export function rejectUnknownKeys(
  spec: Spec,
  allowed: ReadonlySet<string>,
  path: string,
  what: string,
): void {
  for (const key of Object.keys(spec)) {
    if (!allowed.has(key)) {
      throw new UcrConfigError(
        joinPath(path, key),
        `no such property on ${what} (allowed: ${[...allowed].join(', ')})`,
      );
    }
  }
}
