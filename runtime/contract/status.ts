/**
 * What a spec says about its component when an operator asks (`tributary status`): the CLI asks
 * every component of a pipeline and prints what they answer, without knowing any of them.
 */
import type { Endpoints } from './endpoints.js';
import type { Logger, Resources } from './component.js';

/** A table of rows for the terminal; the same facts are in `data` for `--json`. */
export interface StatusTable {
  columns: string[];
  rows: string[][];
}

export interface ComponentStatus {
  /** One line, e.g. `backlog 3 undelivered` or `UCR: no data sources.` (optional). */
  summary?: string;
  tables?: StatusTable[];
  /** Machine-readable, for `tributary status --json`, under the component's path. */
  data: unknown;
}

/** What a status hook receives: no running pipeline, only where the systems are and a client pool. */
export interface StatusContext {
  pipeline: string;
  endpoints: Endpoints;
  resources: Resources;
  logger: Logger;
}
