import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const subject = names.valueSubject(names.topic('cases'));
const host = readEndpoints().SCHEMA_REGISTRY_URL;

const caseV1 = {
  type: 'record',
  name: 'Case',
  namespace: 'dev.tributary.test',
  fields: [
    { name: 'case_id', type: 'string' },
    { name: 'version', type: 'long' },
  ],
};
const caseV2 = {
  ...caseV1,
  fields: [...caseV1.fields, { name: 'owner_id', type: ['null', 'string'], default: null }],
};

describe('schema registry (Confluent API)', () => {
  it('registers a schema, serves it by id and round-trips a record in the wire format', async () => {
    const registry = new SchemaRegistry({ host });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(caseV1) },
      { subject },
    );
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const encoded = await registry.encode(id, { case_id: 'c1', version: 3 });
    expect(encoded[0]).toBe(0); // magic byte
    expect(encoded.readInt32BE(1)).toBe(id);

    // A second client has no cache: it must fetch the writer schema by id from the server.
    const fresh = new SchemaRegistry({ host });
    expect(await fresh.decode(encoded)).toEqual({ case_id: 'c1', version: 3 });
  });

  it('accepts a backward-compatible change and refuses an incompatible one', async () => {
    const registry = new SchemaRegistry({ host });
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(caseV1) }, { subject });
    const v2 = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(caseV2) },
      { subject },
    );
    expect(await registry.getLatestSchemaId(subject)).toBe(v2.id);

    const incompatible = { ...caseV1, fields: [...caseV1.fields, { name: 'required_new', type: 'string' }] };
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatible) }, { subject }),
    ).rejects.toThrow(/incompatib|409|rule/i);
  });
});
