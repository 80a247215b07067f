/**
 * Shapes a loosely typed document (a CouchDB document with the change-event envelope) into the
 * value an Avro record schema accepts: every field of the schema present and of its type, taken
 * from the document, from an alias, from the schema's default, or from a neutral value. Pure.
 */

import { isObject } from '../../runtime/contract/index.js';

type AvroType = string | AvroType[] | { type: string; [key: string]: unknown };

interface AvroField {
  name: string;
  type: AvroType;
  default?: unknown;
}

interface AvroRecord {
  type: 'record';
  name: string;
  fields: AvroField[];
}

export interface ConformOptions {
  /** Other document fields a schema field may be read from, in order (`revision: ['_rev']`). */
  aliases?: Readonly<Record<string, readonly string[]>>;
  /** For timestamp fields the document lacks and that have no default. */
  nowMs: number;
}

/**
 * The document as a value of `schema` (a record schema). A `json-object` field the document lacks
 * carries the whole document: that is how a configuration document's `definition` is filled.
 */
export function conformToSchema(
  doc: Readonly<Record<string, unknown>>,
  schema: unknown,
  options: ConformOptions,
): Record<string, unknown> {
  return conformRecord(doc, schema as AvroRecord, options, doc);
}

function conformRecord(
  doc: Readonly<Record<string, unknown>>,
  schema: AvroRecord,
  options: ConformOptions,
  whole: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) {
    let value = doc[field.name];
    if (value === undefined || value === null) {
      for (const alias of options.aliases?.[field.name] ?? []) {
        if (doc[alias] !== undefined && doc[alias] !== null) {
          value = doc[alias];
          break;
        }
      }
    }
    out[field.name] = conformValue(value, field.type, field, options, whole);
  }
  return out;
}

function conformValue(
  value: unknown,
  type: AvroType,
  field: AvroField,
  options: ConformOptions,
  whole: Readonly<Record<string, unknown>>,
): unknown {
  if (Array.isArray(type)) {
    if ((value === undefined || value === null) && type.includes('null')) return null;
    // The first branch that is not null (our schemas use ["null", X] unions only).
    const branch = type.find((t) => t !== 'null')!;
    return conformValue(value, branch, field, options, whole);
  }
  if (typeof type === 'string') return conformPrimitive(value, type, undefined, field, options);
  const logical = typeof type.logicalType === 'string' ? type.logicalType : undefined;
  switch (type.type) {
    case 'record':
      return conformRecord(isObject(value) ? value : {}, type as unknown as AvroRecord, options, whole);
    case 'array': {
      const items = type.items as AvroType;
      return Array.isArray(value)
        ? value.map((item) => conformValue(item, items, field, options, whole))
        : [];
    }
    case 'map': {
      const values = type.values as AvroType;
      if (!isObject(value)) return {};
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== undefined && v !== null)
          .map(([k, v]) => [k, conformValue(v, values, field, options, whole)]),
      );
    }
    case 'enum': {
      const symbols = type.symbols as string[];
      if (typeof value === 'string' && symbols.includes(value)) return value;
      return typeof type.default === 'string' ? type.default : symbols[0];
    }
    case 'string':
      if (logical === 'json-object') {
        if (isObject(value)) return value;
        if (typeof value === 'string') {
          try {
            const parsed: unknown = JSON.parse(value);
            if (isObject(parsed)) return parsed;
          } catch {
            // Not JSON text: fall back to the whole document below.
          }
        }
        return { ...whole };
      }
      return conformPrimitive(value, 'string', logical, field, options);
    default:
      return conformPrimitive(value, type.type, logical, field, options);
  }
}

function conformPrimitive(
  value: unknown,
  type: string,
  logical: string | undefined,
  field: AvroField,
  options: ConformOptions,
): unknown {
  const fallback = field.default !== undefined && field.default !== null ? field.default : undefined;
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return fallback ?? '';
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return fallback ?? false;
    case 'int':
    case 'long': {
      if (logical === 'timestamp-millis') {
        const ms =
          typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
        return Number.isFinite(ms) ? Math.trunc(ms) : (fallback ?? options.nowMs);
      }
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      return Number.isFinite(n) ? Math.trunc(n) : (fallback ?? 0);
    }
    case 'float':
    case 'double': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      return Number.isFinite(n) ? n : (fallback ?? 0);
    }
    default:
      return value ?? fallback ?? null;
  }
}
