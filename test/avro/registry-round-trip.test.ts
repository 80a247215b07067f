import { describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { createAvroSerde } from '../../connectors/kafka/avro-serde.js';
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { defaultSchemasDir, loadSchemaCatalog } from '../../schemas/schema-catalog.js';
import { registerSchemas } from '../../schemas/tools/schema-register.js';
import { testNames } from '../support/resources.js';
import { samples } from './samples.js';

const names = testNames(import.meta.url);
const prefix = names.topic(''); // `t_<file>_<random>.`: this run's own subjects
const registry = new SchemaRegistryClient({ url: readEndpoints().SCHEMA_REGISTRY_URL });

describe('Avro topics through the schema registry', () => {
  it('registers every topic under <topic>-value with its level, new the first time and existing after', async () => {
    const catalog = await loadSchemaCatalog(defaultSchemasDir());
    const first = await registerSchemas(catalog, registry, { topicPrefix: prefix });
    expect(first.map((o) => [o.subject, o.status])).toEqual(
      catalog.topics.map((t) => [`${prefix}${t.topic}-value`, 'new']),
    );
    for (const outcome of first) {
      expect(await registry.getCompatibility(outcome.subject)).toBe('BACKWARD_TRANSITIVE');
    }

    const again = await registerSchemas(catalog, registry, { topicPrefix: prefix });
    expect(again.map((o) => o.status)).toEqual(catalog.topics.map(() => 'existing'));
    expect(again.map((o) => o.id)).toEqual(first.map((o) => o.id));

    const dryRun = await registerSchemas(catalog, registry, { topicPrefix: prefix, dryRun: true });
    expect(dryRun.map((o) => o.status)).toEqual(catalog.topics.map(() => 'existing'));
  });

  it.each(samples.map((s) => [s.topic, s] as const))(
    'round-trips a %s value: the producer registers, a fresh consumer fetches the schema by id',
    async (topic, sample) => {
      const subject = names.valueSubject(names.topic(`rt-${topic}`));
      const producer = createAvroSerde({ subject, schema: sample.schema }, registry);
      const bytes = await producer.encode(sample.value);
      expect(bytes[0]).toBe(0);
      expect(bytes.readInt32BE(1)).toBe(await registry.lookupSchema(subject, JSON.stringify(sample.schema)));

      const consumer = createAvroSerde(
        { subject, schema: sample.schema },
        new SchemaRegistryClient({ url: registry.url }),
      );
      expect(await consumer.decode(bytes)).toEqual(sample.value);
    },
  );
});
