/**
 * A UCR data source as the view lifecycle sees it: its view name, definition hash and labels
 * (domain, table_id), compiled from the configuration JSON after checking the names that will
 * reach SQL. Which changes can migrate a live table in place is decided here too.
 */
import { isObject } from '../../runtime/contract/index.js';
import { compileDataSource } from '../../commcare/ucr/compile-data-source.js';
import type { CompiledDataSource } from '../../commcare/ucr/contract.js';
import { ucrViewName, validateUcrIdentifier } from '../../commcare/ucr/ucr-table-names.js';
import type { ViewDefinition } from '../views/view-storage.js';

export interface UcrViewDefinition extends ViewDefinition {
  readonly dataSource: CompiledDataSource;
}

/** The definition of a data source configuration; throws for one that cannot be used. */
export function ucrViewDefinition(json: unknown): UcrViewDefinition {
  const raw = (json ?? {}) as { domain?: unknown; table_id?: unknown; __unparsable?: unknown };
  if (typeof raw.__unparsable === 'string') throw new Error(`not JSON: ${raw.__unparsable}`);
  validateUcrIdentifier('domain', raw.domain);
  validateUcrIdentifier('table_id', raw.table_id);
  const dataSource = compileDataSource(json);
  validateUcrIdentifier('domain', dataSource.domain);
  validateUcrIdentifier('table_id', dataSource.tableId);
  return {
    view: ucrViewName(dataSource.domain, dataSource.tableId),
    hash: dataSource.definitionHash,
    source: dataSource.source,
    labels: { domain: dataSource.domain, table_id: dataSource.tableId },
    deactivated: dataSource.isDeactivated,
    rebuildable: !dataSource.disableDestructiveRebuild,
    dataSource,
  };
}

/** The catalog labels of a configuration, whatever its state (for its problem row). */
export function ucrProblemLabels(json: unknown): Record<string, string | null> {
  const raw = (isObject(json) ? json : {}) as { domain?: unknown; table_id?: unknown };
  return {
    domain: typeof raw.domain === 'string' ? raw.domain : null,
    table_id: typeof raw.table_id === 'string' ? raw.table_id : null,
  };
}

/**
 * True when `after` differs from `before` only by added indicators and index settings: the rows
 * every existing column holds stay the same, so the table can be migrated in place.
 */
export function onlyAddsColumnsOrIndexes(before: unknown, after: unknown): boolean {
  if (!isObject(before) || !isObject(after)) return false;
  const indicators = (config: Record<string, unknown>): unknown[] =>
    (Array.isArray(config.configured_indicators) ? (config.configured_indicators as unknown[]) : []).map(
      (i) => (isObject(i) ? withoutKeys(i, ['create_index', 'display_name', 'comment']) : i),
    );
  const oldIndicators = indicators(before);
  const newIndicators = indicators(after);
  const oldIds = new Set(oldIndicators.map((i) => (isObject(i) ? i.column_id : undefined)));
  const kept = newIndicators.filter((i) => isObject(i) && oldIds.has(i.column_id));
  const ignore = [
    'configured_indicators',
    'sql_column_indexes',
    'display_name',
    'description',
    'meta',
    '_rev',
    'last_modified',
  ];
  return (
    canonical(kept) === canonical(oldIndicators) &&
    canonical(withoutKeys(before, ignore)) === canonical(withoutKeys(after, ignore))
  );
}

function withoutKeys(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) if (!keys.includes(k)) out[k] = v;
  return out;
}

/** JSON with object keys sorted, so key order never counts as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
