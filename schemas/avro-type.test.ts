import { describe, expect, it } from 'vitest';
import { avroType } from './avro-type.js';

const noteSchema = {
  type: 'record',
  name: 'Note',
  namespace: 'dev.tributary.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'written_on', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'owner', type: ['null', 'string'], default: null },
    { name: 'body', type: { type: 'string', logicalType: 'json-object' } },
  ],
};

describe('avroType', () => {
  it('decodes records to objects with fields only, nullable unions to value or null, times to epoch milliseconds', () => {
    const type = avroType(noteSchema);
    const value = { id: 'n1', written_on: 1_717_000_000_123, owner: null, body: { a: '1' } };
    const decoded = type.fromBuffer(type.toBuffer(value)) as unknown;
    expect(decoded).toEqual(value);
    expect(Object.keys(decoded as object)).toEqual(['id', 'written_on', 'owner', 'body']);
    expect(Object.getPrototypeOf(decoded)).not.toHaveProperty('toBuffer');
    expect(JSON.parse(JSON.stringify(decoded))).toStrictEqual(value);
  });

  it('carries a json-object field as JSON text that any Avro reader reads as a string', () => {
    const body = { visit: { temperature: '37.2' }, children: [{ name: 'Amina' }] };
    const bytes = avroType(noteSchema).toBuffer({ id: 'n1', written_on: 0, owner: 'u1', body });
    const plain = avroType({
      ...noteSchema,
      fields: noteSchema.fields.map((f) => (f.name === 'body' ? { ...f, type: 'string' } : f)),
    });
    expect((plain.fromBuffer(bytes) as { body: string }).body).toBe(JSON.stringify(body));
  });

  it('reads data written as a plain string into a json-object field', () => {
    const writer = avroType({ type: 'record', name: 'Note', fields: [{ name: 'body', type: 'string' }] });
    const reader = avroType({
      type: 'record',
      name: 'Note',
      fields: [{ name: 'body', type: { type: 'string', logicalType: 'json-object' } }],
    });
    const bytes = writer.toBuffer({ body: '{"x":1}' });
    expect(reader.fromBuffer(bytes, reader.createResolver(writer))).toEqual({ body: { x: 1 } });
  });

  it('reads a json-object field through schema resolution (an older version of the record)', () => {
    const older = avroType({ ...noteSchema, fields: noteSchema.fields.filter((f) => f.name !== 'owner') });
    const reader = avroType(noteSchema);
    const bytes = older.toBuffer({ id: 'n1', written_on: 5, body: { a: ['x'] } });
    expect(reader.fromBuffer(bytes, reader.createResolver(older))).toEqual({
      id: 'n1',
      written_on: 5,
      owner: null,
      body: { a: ['x'] },
    });
  });

  it('refuses a json-object value that is not a plain object', () => {
    const type = avroType(noteSchema);
    for (const body of [['a'], 'text', 3, null]) {
      expect(type.isValid({ id: 'n1', written_on: 0, owner: null, body })).toBe(false);
    }
  });

  it('throws when JSON text in a json-object field is not an object', () => {
    const writer = avroType({ type: 'record', name: 'Note', fields: [{ name: 'body', type: 'string' }] });
    const reader = avroType({
      type: 'record',
      name: 'Note',
      fields: [{ name: 'body', type: { type: 'string', logicalType: 'json-object' } }],
    });
    const resolver = reader.createResolver(writer);
    const read = (body: string): unknown => reader.fromBuffer(writer.toBuffer({ body }), resolver) as unknown;
    expect(() => read('[1]')).toThrow(/expected a JSON object/);
    expect(() => read('{oops')).toThrow(SyntaxError);
  });
});
