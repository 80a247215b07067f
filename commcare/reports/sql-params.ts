/**
 * Bound parameters of one query. Every value a configuration or a request supplies goes through
 * `bind`, which returns a `$n::type` placeholder: values never become SQL text, and the explicit
 * type keeps PostgreSQL from guessing (a request's "3.5" against an integer column compares as
 * numeric instead of failing to parse as integer).
 */
export class SqlParams {
  readonly values: unknown[] = [];

  /** `$n::cast` for a new parameter holding `value`. `cast` comes from a fixed list, never from input. */
  bind(value: unknown, cast: SqlCast): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}

/** The casts report queries use. */
export type SqlCast = 'text' | 'numeric' | 'integer' | 'bigint' | 'date' | 'timestamp' | 'text[]';
