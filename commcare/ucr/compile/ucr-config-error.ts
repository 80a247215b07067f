/**
 * A data source, expression, filter or indicator configuration that CommCare would reject
 * (`BadSpecError`): carries the JSON path of the offending part and what was expected there.
 */
export class UcrConfigError extends Error {
  override readonly name = 'UcrConfigError';
  constructor(
    /** e.g. `configured_indicators[3].expression.type`; empty for the whole document. */
    readonly path: string,
    /** What was expected there, e.g. `one of the expression types (got "propery_name")`. */
    readonly expected: string,
  ) {
    super(`${path === '' ? '(root)' : path}: ${expected}`);
  }
}

/** Joins a JSON path and a key or index. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const safe = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  return path === '' ? safe : /^[A-Za-z_]/.test(safe) ? `${path}.${safe}` : `${path}[${safe}]`;
}
