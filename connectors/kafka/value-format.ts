/** How record values are read and written on a topic: Avro through the registry, JSON, string or raw bytes. */
import { z } from 'zod';
import type { ComponentContext } from '../../runtime/contract/index.js';
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
    schema: z
      .string()
      .optional()
      .describe(
        "Avro: the reader/writer schema, as a path to an .avsc file; the topic's current schema in schemas/ when absent.",
      ),
  })
  .strict()
  .prefault({})
  .describe('Value format.');

export type ValueFormat = z.output<typeof valueFormatSchema>;

const stringSerde: ValueSerde = {
  encode: (value) => Promise.resolve(Buffer.from(String(value))),
  decode: (bytes) => Promise.resolve(bytes.toString('utf8')),
};

const bytesSerde: ValueSerde = {
  encode: (value) => Promise.resolve(Buffer.isBuffer(value) ? value : Buffer.from(String(value))),
  decode: (bytes) => Promise.resolve(bytes),
};

/** The serde for a topic's values in the configured format. */
export function valueSerde(format: ValueFormat, _topic: string, _ctx: ComponentContext): Promise<ValueSerde> {
  switch (format.format) {
    case 'json':
      return Promise.resolve(jsonSerde);
    case 'string':
      return Promise.resolve(stringSerde);
    case 'bytes':
      return Promise.resolve(bytesSerde);
    case 'avro':
      return Promise.reject(new Error('avro values are wired in with the Avro serde'));
  }
}
