/**
 * Serde throughput: realistic Form and Case change events (bench/documents.ts) through the Avro
 * serde in the Confluent wire format, with the registry lookup cached after the first record, next
 * to JSON.stringify / JSON.parse of the same documents in the same run. Prints JSON and writes it
 * to bench/results/serde.json (relative to the working directory: run it from the repository root).
 *
 * The registry is the one at SCHEMA_REGISTRY_URL (the local stack's by default), under subjects
 * named after the schema's content (`bench.forms.<hash>-value`), so a changed schema never meets
 * the subject's compatibility rule; with `--memory`, or when it cannot be reached, an in-memory
 * registry stands in (after the first lookup no request is made either way).
 *
 * Run: see bench/README.md.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createAvroSerde, type AvroSerdeRegistry } from '../connectors/kafka/avro-serde.js';
import { readEndpoints } from '../connectors/endpoints.js';
import { MemorySchemaRegistry } from '../connectors/kafka/memory-schema-registry.js';
import { SchemaRegistryClient } from '../connectors/kafka/schema-registry-client.js';
import { caseSchema, formSchema } from '../schemas/generated/index.js';
import { followUpVisitForm, householdMemberCase } from './documents.js';
import { measureAll, round, type MeasureOptions } from './measure.js';

const measureOptions: MeasureOptions = { roundMs: Number(process.env.BENCH_ROUND_MS ?? 300), rounds: 5 };

async function pickRegistry(): Promise<{ registry: AvroSerdeRegistry; description: string }> {
  if (process.argv.includes('--memory'))
    return { registry: new MemorySchemaRegistry(), description: 'in memory (--memory)' };
  const client = new SchemaRegistryClient({
    url: readEndpoints().SCHEMA_REGISTRY_URL,
    requestTimeoutMs: 3_000,
  });
  try {
    await client.listSubjects();
    return { registry: client, description: client.url };
  } catch (error) {
    return {
      registry: new MemorySchemaRegistry(),
      description: `in memory (${client.url} unreachable: ${(error as Error).message})`,
    };
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** A subject of its own for each schema content: re-runs reuse it, a changed schema gets a new one. */
function benchSubject(topic: string, schema: object): string {
  const hash = createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 12);
  return `bench.${topic}.${hash}-value`;
}

async function run(
  name: string,
  topic: string,
  schema: object,
  documents: unknown[],
  registry: AvroSerdeRegistry,
) {
  const pick = <T>(items: readonly T[], i: number): T => items[i % items.length]!;
  // Two serdes, as a producer and a consumer would have: the decoder looks the writer schema up by id.
  const subject = benchSubject(topic, schema);
  const encoder = createAvroSerde({ subject, schema }, registry);
  const decoder = createAvroSerde({ subject, schema }, registry);
  const avroBytes = await Promise.all(documents.map((doc) => encoder.encode(doc)));
  for (const bytes of avroBytes) await decoder.decode(bytes); // every id resolved before timing
  const jsonText = documents.map((doc) => JSON.stringify(doc));
  const jsonBytes = jsonText.map((text) => Buffer.from(text));
  const avroSize = mean(avroBytes.map((b) => b.length));
  const jsonSize = mean(jsonBytes.map((b) => b.length));

  const perSecond = await measureAll(
    {
      avroEncode: (i) => encoder.encode(pick(documents, i)),
      avroDecode: (i) => decoder.decode(pick(avroBytes, i)),
      jsonEncode: (i) => Buffer.from(JSON.stringify(pick(documents, i))),
      jsonDecode: (i) => JSON.parse(pick(jsonBytes, i).toString('utf8')) as unknown,
      stringify: (i) => JSON.stringify(pick(documents, i)),
      parse: (i) => JSON.parse(pick(jsonText, i)) as unknown,
    },
    measureOptions,
  );
  const { avroEncode, avroDecode, jsonEncode, jsonDecode, stringify, parse } = perSecond;

  const rate = (opsPerSecond: number, bytes: number) => ({
    recordsPerSecond: round(opsPerSecond),
    megabytesPerSecond: round((opsPerSecond * bytes) / 1e6),
  });
  return {
    document: name,
    bytes: { avro: round(avroSize), json: round(jsonSize), avroToJson: round(avroSize / jsonSize) },
    avro: { encode: rate(avroEncode, avroSize), decode: rate(avroDecode, avroSize) },
    json: {
      encode: { ...rate(jsonEncode, jsonSize), what: 'Buffer.from(JSON.stringify(doc))' },
      decode: { ...rate(jsonDecode, jsonSize), what: "JSON.parse(bytes.toString('utf8'))" },
    },
    jsonStringOnly: {
      stringify: { ...rate(stringify, jsonSize), what: 'JSON.stringify(doc), no bytes' },
      parse: { ...rate(parse, jsonSize), what: 'JSON.parse(text) of a ready string, no bytes' },
    },
    ratios: {
      encodeAvroToJson: round(avroEncode / jsonEncode),
      decodeAvroToJson: round(avroDecode / jsonDecode),
      encodeAvroToStringify: round(avroEncode / stringify),
      decodeAvroToParse: round(avroDecode / parse),
    },
  };
}

const { registry, description } = await pickRegistry();
const forms = Array.from({ length: 512 }, (_, i) => followUpVisitForm(i + 1));
const cases = Array.from({ length: 512 }, (_, i) => householdMemberCase(i + 1));
const results = {
  benchmark: 'serde',
  node: process.version,
  registry: description,
  measurement: { ...measureOptions, rule: 'best of the rounds, contenders taken in turn' },
  note:
    'Records per second through each serde, one call at a time (Avro calls are awaited); MB/s counts the ' +
    'bytes of that format. Ratios above 1 favour Avro.',
  results: [
    await run('Form: follow-up visit, 61 answers incl. a repeat group', 'forms', formSchema, forms, registry),
    await run('Case: household member, 40 properties', 'cases', caseSchema, cases, registry),
  ],
};
const text = JSON.stringify(results, null, 2);
console.log(text);
// Results go beside the sources (bench/results/, run from the repository root), not into dist/.
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/serde.json', `${text}\n`);
