import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { householdMemberCase } from '../../bench/documents.js';
import { BadConfigError, BadRecordError, RetryableError } from '../../runtime/contract/index.js';
import { avroType } from '../../schemas/avro-type.js';
import { caseSchema, type Case } from '../../schemas/generated/index.js';
import { AvroSerde, createAvroSerde } from './avro-serde.js';
import { MemorySchemaRegistry } from './memory-schema-registry.js';

const subject = 'cases-value';
const caseV1 = JSON.parse(
  readFileSync(new URL('../../schemas/case/v1.avsc', import.meta.url), 'utf8'),
) as object;
const aCase = householdMemberCase(7);

let registry: MemorySchemaRegistry;
beforeEach(() => {
  registry = new MemorySchemaRegistry(100);
});

const serde = (
  schema: object = caseSchema,
  options: { autoRegister?: boolean; unknownIdRecheckMs?: number } = {},
) => createAvroSerde<Case>({ subject, schema, ...options }, registry);

/** The wire format by hand: magic 0, id, Avro binary of `value` in `schema`. */
function wire(id: number, schema: object, value: unknown): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, avroType(schema).toBuffer(value)]);
}

async function badRecord(promise: Promise<unknown>): Promise<BadRecordError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BadRecordError);
  return error as BadRecordError;
}

describe('AvroSerde', () => {
  it('writes magic byte 0, the schema id and the Avro binary, and reads it back', async () => {
    const bytes = await serde().encode(aCase);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(100);
    expect(bytes.subarray(5)).toEqual(avroType(caseSchema).toBuffer(aCase));
    expect(await serde().decode(bytes)).toEqual(aCase);
  });

  it('looks the schema id up once, however many records are encoded at the same time', async () => {
    const writer = serde();
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.encode(householdMemberCase(i))));
    await writer.encode(aCase);
    expect(registry.calls).toMatchObject({ lookupSchema: 1, registerSchema: 1 });
  });

  it('uses the id of a schema registered beforehand and registers nothing', async () => {
    const id = registry.add(subject, caseSchema);
    const bytes = await serde(caseSchema, { autoRegister: false }).encode(aCase);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(registry.calls.registerSchema).toBe(0);
  });

  it('refuses to encode when the subject lacks the schema and auto-registration is off', async () => {
    await expect(serde(caseSchema, { autoRegister: false }).encode(aCase)).rejects.toThrow(BadConfigError);
    await expect(serde(caseSchema, { autoRegister: false }).encode(aCase)).rejects.toThrow(
      /tributary schemas register/,
    );
  });

  it('reads a record written with an older version into the current shape, defaults filled', async () => {
    const { closed_by: _closedBy, change_source: _changeSource, ...v1Case } = aCase;
    const v1Id = registry.add(subject, caseV1);
    const decoded = await serde().decode(wire(v1Id, caseV1, v1Case));
    expect(decoded).toEqual({ ...v1Case, closed_by: null, change_source: 'form' });
  });

  it('fetches each writer schema once; concurrent first records of one id share the request', async () => {
    const v1Id = registry.add(subject, caseV1);
    const { closed_by: _c, change_source: _s, ...v1Case } = aCase;
    const bytes = wire(v1Id, caseV1, v1Case);
    const reader = serde();
    await Promise.all(Array.from({ length: 20 }, () => reader.decode(bytes)));
    await reader.decode(bytes);
    expect(registry.calls.getSchemaById).toBe(1);
  });

  it('rejects a plain JSON value as not in the wire format, saying it looks like JSON', async () => {
    const error = await badRecord(serde().decode(Buffer.from(JSON.stringify(aCase))));
    expect(error.reason).toBe('not-wire-format');
    expect(error.message).toMatch(/looks like JSON/);
  });

  it('rejects an empty or too short value as not in the wire format', async () => {
    expect((await badRecord(serde().decode(Buffer.alloc(0)))).reason).toBe('not-wire-format');
    expect((await badRecord(serde().decode(Buffer.from([0, 0, 0])))).reason).toBe('not-wire-format');
  });

  it('rejects a schema id the registry does not know, and asks again only after a while', async () => {
    const reader = serde(caseSchema, { unknownIdRecheckMs: 60_000 });
    const bytes = wire(999, caseSchema, aCase);
    const error = await badRecord(reader.decode(bytes));
    expect(error.reason).toBe('unknown-schema-id');
    expect(error.message).toMatch(/schema id 999/);
    await badRecord(reader.decode(bytes));
    expect(registry.calls.getSchemaById).toBe(1);
  });

  it('rejects corrupt, truncated and over-long Avro bodies as avro-decode', async () => {
    const good = await serde().encode(aCase);
    const garbage = Buffer.concat([good.subarray(0, 5), Buffer.alloc(40, 0xff)]);
    const truncated = good.subarray(0, good.length - 10);
    const trailing = Buffer.concat([good, Buffer.from([1, 2, 3])]);
    for (const bytes of [garbage, truncated, trailing]) {
      const error = await badRecord(serde().decode(bytes));
      expect(error.reason).toBe('avro-decode');
    }
    expect((await badRecord(serde().decode(trailing))).message).toMatch(/3 bytes left after the value/);
  });

  it('keeps decoding good records after bad ones', async () => {
    const reader = serde();
    const good = await serde().encode(aCase);
    const results = await Promise.allSettled(
      [good, Buffer.from('{"x":1}'), good, wire(4242, caseSchema, aCase), good].map((b) => reader.decode(b)),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
  });

  it('rejects records of a writer schema the reader cannot read, naming the field', async () => {
    const incompatible = {
      ...caseV1,
      fields: (caseV1 as { fields: { name: string }[] }).fields.map((f) =>
        f.name === 'closed' ? { ...f, type: 'string' } : f,
      ),
    };
    const id = registry.add(subject, incompatible);
    const { closed_by: _c, change_source: _s, ...v1Case } = aCase;
    const error = await badRecord(serde().decode(wire(id, incompatible, { ...v1Case, closed: 'no' })));
    expect(error.reason).toBe('incompatible-schema');
    expect(error.message).toMatch(/field closed: type changed from string to boolean/);
  });

  it('rejects a value that does not fit the schema as avro-encode, naming the field', async () => {
    const error = await badRecord(serde().encode({ ...aCase, owner_id: 42 } as unknown as Case));
    expect(error.reason).toBe('avro-encode');
    expect(error.message).toMatch(/owner_id: expected string, got 42/);
  });

  it('fails with a retryable error while the registry is unreachable, and recovers', async () => {
    const writer = serde();
    registry.unavailable = true;
    await expect(writer.encode(aCase)).rejects.toThrow(RetryableError);
    const bytes = wire(registry.add(subject, caseSchema), caseSchema, aCase);
    await expect(serde().decode(bytes)).rejects.toThrow(RetryableError);
    registry.unavailable = false;
    expect((await writer.encode(aCase)).readInt32BE(1)).toBe(bytes.readInt32BE(1));
  });

  it('keeps encoding and decoding with known ids while the registry is unreachable', async () => {
    const writer = serde();
    const reader = serde();
    const bytes = await writer.encode(aCase);
    await reader.decode(bytes);
    registry.unavailable = true;
    expect(await reader.decode(await writer.encode(aCase))).toEqual(aCase);
  });

  it('refuses an invalid schema at construction', () => {
    expect(
      () =>
        new AvroSerde(
          { subject, schema: { type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] } },
          registry,
        ),
    ).toThrow(BadConfigError);
  });
});
