/**
 * A small stand-in for the UCR language's `compileDataSource`, enough for the table lifecycle
 * tests: property_name/property_path expressions, `eq`/`in` filters (alone or under `and`), a
 * property_path base item, `expression` indicators of datatype string or integer. The hash covers
 * everything but display names, as the contract says.
 */
import { createHash } from 'node:crypto';
import type {
  CompiledDataSource,
  UcrColumn,
  UcrDatatype,
  UcrRow,
  UcrStoredValue,
} from '../../processors/ucr/contract.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

function expression(spec: unknown): (item: unknown) => unknown {
  if (!isObject(spec)) return () => spec;
  if (spec.type === 'property_name')
    return (item) => (isObject(item) ? item[spec.property_name as string] : null);
  if (spec.type === 'property_path')
    return (item) =>
      (spec.property_path as string[]).reduce<unknown>((v, k) => (isObject(v) ? v[k] : null), item);
  if (spec.type === 'constant') return () => spec.constant;
  throw new Error(`test compiler: unsupported expression ${JSON.stringify(spec.type)}`);
}

function filter(spec: unknown): (doc: unknown) => boolean {
  if (!isObject(spec) || Object.keys(spec).length === 0) return () => true;
  if (spec.type === 'and') {
    const parts = (spec.filters as unknown[]).map(filter);
    return (doc) => parts.every((p) => p(doc));
  }
  if (spec.type === 'boolean_expression') {
    const get = expression(spec.expression);
    const value = spec.property_value;
    if (spec.operator === 'eq') return (doc) => get(doc) === value;
    if (spec.operator === 'in') return (doc) => (value as unknown[]).includes(get(doc));
  }
  throw new Error(`test compiler: unsupported filter ${JSON.stringify(spec)}`);
}

function coerce(value: unknown, datatype: UcrDatatype): UcrStoredValue {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'object' ? JSON.stringify(value) : `${value as string | number | boolean}`;
  if (datatype === 'integer') {
    const n = Number.parseInt(text, 10);
    return Number.isFinite(n) ? n : null;
  }
  return text;
}

export function testCompile(json: unknown): CompiledDataSource {
  if (!isObject(json)) throw new Error('test compiler: a data source is an object');
  const { domain, table_id: tableId, referenced_doc_type: docType } = json;
  if (typeof domain !== 'string' || typeof tableId !== 'string' || typeof docType !== 'string')
    throw new Error('test compiler: domain, table_id and referenced_doc_type are required');
  const base =
    isObject(json.base_item_expression) && Object.keys(json.base_item_expression).length
      ? expression(json.base_item_expression)
      : undefined;
  const indicators = ((json.configured_indicators as Json[] | undefined) ?? []).map((spec) => {
    if (spec.type !== 'expression')
      throw new Error(`test compiler: unsupported indicator ${String(spec.type)}`);
    const datatype = spec.datatype as UcrDatatype;
    return {
      column: {
        id: spec.column_id as string,
        datatype,
        nullable: spec.is_nullable !== false,
        primaryKey: spec.is_primary_key === true,
        createIndex: spec.create_index === true,
      } satisfies UcrColumn,
      get: expression(spec.expression),
    };
  });
  const columns: UcrColumn[] = [
    { id: 'doc_id', datatype: 'string', nullable: false, primaryKey: true, createIndex: false },
    { id: 'inserted_at', datatype: 'datetime', nullable: false, primaryKey: false, createIndex: true },
    ...(base
      ? [
          {
            id: 'repeat_iteration',
            datatype: 'integer',
            nullable: false,
            primaryKey: true,
            createIndex: false,
          } as const,
        ]
      : []),
    ...indicators.map((i) => i.column),
  ];
  const matches = filter(json.configured_filter);
  const { display_name: _d, ...hashed } = json;
  return {
    domain,
    tableId,
    displayName: typeof json.display_name === 'string' ? json.display_name : tableId,
    referencedDocType: docType,
    isDeactivated: json.is_deactivated === true,
    disableDestructiveRebuild: json.disable_destructive_rebuild === true,
    columns,
    primaryKey: columns.filter((c) => c.primaryKey).map((c) => c.id),
    indexes: ((json.sql_column_indexes as { column_ids: string[] }[] | undefined) ?? []).map(
      (i) => i.column_ids,
    ),
    definitionHash: createHash('sha1').update(canonical(hashed)).digest('hex'),
    source: json,
    evaluate(doc) {
      const d = doc as Json;
      if (d.domain !== domain || d.doc_type !== docType || !matches(doc))
        return { status: 'rows', matched: false, rows: [] };
      let items: unknown[] = [doc];
      if (base) {
        const found = base(doc);
        items = found === null || found === undefined ? [] : Array.isArray(found) ? found : [found];
      }
      const rows: UcrRow[] = items.map((item, i) => {
        const row: Record<string, UcrStoredValue> = { doc_id: d._id as string };
        if (base) row.repeat_iteration = i;
        for (const { column, get } of indicators) row[column.id] = coerce(get(item), column.datatype);
        return row;
      });
      return { status: 'rows', matched: true, rows };
    },
  };
}
