/**
 * Which documents a data source can match at all, read from its configured filter, so a build
 * reads only those from the primary store: the case types (`type`) or xmlns the filter pins with
 * `eq`/`in` at its top level or in the first matching child of a top-level `and` (the reference's
 * §9.3). Pure.
 */
import { isObject } from '../../runtime/contract/index.js';

function pinnedBy(filter: unknown, property: 'type' | 'xmlns'): string[] | undefined {
  if (!isObject(filter) || filter.type !== 'boolean_expression') return undefined;
  const e = filter.expression;
  const named =
    isObject(e) &&
    ((e.type === 'property_name' && e.property_name === property) ||
      (e.type === 'property_path' &&
        Array.isArray(e.property_path) &&
        e.property_path.join('.') === property));
  if (!named) return undefined;
  const value = filter.property_value;
  if (filter.operator === 'eq' && typeof value === 'string') return [value];
  if (filter.operator === 'in' && Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value;
  return undefined;
}

/** The values of `property` the configuration's filter pins; undefined when it pins none. */
export function pinnedSubtypes(source: unknown, property: 'type' | 'xmlns'): string[] | undefined {
  const filter = isObject(source) ? source.configured_filter : undefined;
  if (isObject(filter) && filter.type === 'and' && Array.isArray(filter.filters)) {
    for (const child of filter.filters) {
      const found = pinnedBy(child, property);
      if (found) return found;
    }
    return undefined;
  }
  return pinnedBy(filter, property);
}
