/** How record values are read and written on a topic: Avro through the registry, JSON, string or raw bytes. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { latestSchemaOfTopic, loadSchemaCatalog } from '../../schemas/schema-catalog.js';
import { BadConfigError, type ComponentContext } from '../../runtime/contract/index.js';
import { createAvroSerde } from './avro-serde.js';
import { SchemaRegistryClient } from './schema-registry-client.js';
import { jsonSerde, type ValueSerde } from './serde.js';

export const valueFormatSchema = z
  .object({
    format: z
      .enum(['avro', 'json', 'string', 'bytes'])
      .default('json')
      .describe('Encoding of record values.'),
    registryUrl: z
      .string()
      .optional()
      .describe('Avro: schema registry URL; SCHEMA_REGISTRY_URL (or the local stack) when absent.'),
    schemaFile: z
      .string()
      .optional()
      .describe(
        'Avro: path of the .avsc file to read (and write) values with; otherwise the schema of `schemaOf`.',
      ),
    schemaOf: z
      .string()
      .optional()
      .describe(
        "Avro: the topic in schemas/topics.yaml whose latest schema to use; the topic's own name when absent.",
      ),
  })
  .strict()
  .prefault({})
  .describe('Value format.');

export type ValueFormat = z.output<typeof valueFormatSchema>;

const stringSerde: ValueSerde = {
  encode: (value) => Promise.resolve(Buffer.from(String(value))),
  decode: (bytes) => Promise.resolve(bytes.toString('utf8')),
  decodeSync: (bytes) => bytes.toString('utf8'),
};

const bytesSerde: ValueSerde = {
  encode: (value) => Promise.resolve(Buffer.isBuffer(value) ? value : Buffer.from(String(value))),
  decode: (bytes) => Promise.resolve(bytes),
  decodeSync: (bytes) => bytes,
};

async function avroSchemaFor(format: ValueFormat, topic: string): Promise<object> {
  if (format.schemaFile) {
    try {
      return JSON.parse(await readFile(format.schemaFile, 'utf8')) as object;
    } catch (error) {
      throw new BadConfigError(
        'value.schemaFile',
        `cannot read ${format.schemaFile}: ${(error as Error).message}`,
      );
    }
  }
  const name = format.schemaOf ?? topic;
  const version = latestSchemaOfTopic(await loadSchemaCatalog(), name);
  if (!version?.schema) {
    throw new BadConfigError(
      'value.schemaOf',
      `schemas/topics.yaml has no schema for topic '${name}' (set value.schemaOf or value.schemaFile)`,
    );
  }
  return version.schema;
}

/** The serde for a topic's values in the configured format; Avro serdes share one registry client per URL. */
export async function valueSerde(
  format: ValueFormat,
  topic: string,
  ctx: ComponentContext,
): Promise<ValueSerde> {
  switch (format.format) {
    case 'json':
      return jsonSerde;
    case 'string':
      return stringSerde;
    case 'bytes':
      return bytesSerde;
    case 'avro': {
      const url = format.registryUrl ?? ctx.endpoints.SCHEMA_REGISTRY_URL;
      const registry = await ctx.resources.get(
        `schema-registry:${url}`,
        () => new SchemaRegistryClient({ url }),
      );
      const schema = await avroSchemaFor(format, topic);
      return ctx.resources.get(
        // One serde per topic and reader schema: it caches the writer schemas it has seen.
        `avro-serde:${url}:${topic}:${JSON.stringify(schema)}`,
        () => createAvroSerde({ subject: `${topic}-value`, schema }, registry),
      );
    }
  }
}
