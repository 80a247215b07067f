/**
 * Tributary's reading of an Avro schema: the one place that turns a schema into an avsc Type, so
 * the serde, the checks and the type generator agree on what a value looks like in JavaScript.
 */
import avro from 'avsc';

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object as `JSON.parse` returns it. */
export type JsonObject = { [key: string]: JsonValue };

/** Name of the logical type of a string that holds a JSON object (the form body, config definitions). */
export const jsonObjectLogicalType = 'json-object';

const isPlainObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);

/**
 * `{"type": "string", "logicalType": "json-object"}`: JSON text on the wire (readable by any Avro
 * reader as a string), a plain object in JavaScript. Reading text that is not a JSON object
 * throws, which the serde reports as a bad record.
 */
export class JsonObjectType extends avro.types.LogicalType {
  protected override _fromValue(text: string): JsonObject {
    const value: unknown = JSON.parse(text);
    if (!isPlainObject(value)) throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
    return value;
  }

  /** Returns undefined for a value that is not a plain object, which avsc treats as invalid. */
  protected override _toValue(value: unknown): string | undefined {
    return isPlainObject(value) ? JSON.stringify(value) : undefined;
  }

  /**
   * Data written as JSON text or as a plain string can be read as a JSON object. (avsc reads the
   * writer's type first: a json-object writer has parsed already, a string writer gives text.)
   */
  protected override _resolve(type: avro.Type): ((written: JsonObject | string) => JsonObject) | undefined {
    if (avro.Type.isType(type, `logical:${jsonObjectLogicalType}`)) return (parsed) => parsed as JsonObject;
    if (avro.Type.isType(type, 'string')) return (text) => this._fromValue(text as string);
    return undefined;
  }
}

/**
 * An avsc Type for `schema` (parsed JSON), as every part of Tributary reads it: records decode to
 * objects that hold only their fields (one class per record type, no methods, so every value of a
 * type shares its shape), `["null", T]` unions to `T | null`, `long` and `timestamp-millis` to numbers
 * (epoch milliseconds for times), and `json-object` strings to objects. Throws on an invalid schema.
 */
export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    logicalTypes: { [jsonObjectLogicalType]: JsonObjectType },
    omitRecordMethods: true,
    wrapUnions: 'auto',
  });
}
