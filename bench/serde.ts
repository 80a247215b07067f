/**
 * The `serde` scenario: realistic Form and Case change events (bench/documents.ts) through the
 * Avro serde in the Confluent wire format, with the registry lookup cached after the first record,
 * next to `Buffer.from(JSON.stringify(doc))` / `JSON.parse(bytes)` of the same documents in the
 * same run. Contenders run in short rounds taken in turn; figures are records/s over the rounds,
 * ratios Avro / JSON round by round (above 1 favours Avro).
 *
 * The registry is the one at SCHEMA_REGISTRY_URL (the local stack's by default), under subjects
 * named after the schema's content (`bench.forms.<hash>-value`), so a changed schema never meets
 * the subject's compatibility rule; when it cannot be reached, an in-memory registry stands in
 * (after the first lookup no request is made either way) and `setup.registry` says so.
 */
import { createHash } from 'node:crypto';
import { createAvroSerde, type AvroSerdeRegistry } from '../connectors/kafka/avro-serde.js';
import { readEndpoints } from '../connectors/endpoints.js';
import { MemorySchemaRegistry } from '../connectors/kafka/memory-schema-registry.js';
import { SchemaRegistryClient } from '../connectors/kafka/schema-registry-client.js';
import { caseSchema, formSchema } from '../schemas/generated/index.js';
import { followUpVisitForm, householdMemberCase } from './documents.js';
import { measureRounds, round, type MeasureOptions } from './measure.js';
import type { Figure, Ratio, ScenarioResult } from './scenario-result.js';
import { figure, ratioOf } from './spread.js';

async function pickRegistry(): Promise<{ registry: AvroSerdeRegistry; description: string }> {
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

async function measureDocuments(
  prefix: string,
  topic: string,
  schema: object,
  documents: unknown[],
  registry: AvroSerdeRegistry,
  measureOptions: MeasureOptions,
  out: { figures: Record<string, Figure>; ratios: Record<string, Ratio>; bytes: Record<string, unknown> },
) {
  const pick = <T>(items: readonly T[], i: number): T => items[i % items.length]!;
  // Two serdes, as a producer and a consumer would have: the decoder looks the writer schema up by id.
  const subject = benchSubject(topic, schema);
  const encoder = createAvroSerde({ subject, schema }, registry);
  const decoder = createAvroSerde({ subject, schema }, registry);
  const avroBytes = await Promise.all(documents.map((doc) => encoder.encode(doc)));
  for (const bytes of avroBytes) await decoder.decode(bytes); // every id resolved before timing
  const jsonBytes = documents.map((doc) => Buffer.from(JSON.stringify(doc)));
  const avroSize = mean(avroBytes.map((b) => b.length));
  const jsonSize = mean(jsonBytes.map((b) => b.length));

  const rounds = await measureRounds(
    {
      avroEncode: (i) => encoder.encode(pick(documents, i)),
      avroDecode: (i) => decoder.decode(pick(avroBytes, i)),
      jsonEncode: (i) => Buffer.from(JSON.stringify(pick(documents, i))),
      jsonDecode: (i) => JSON.parse(pick(jsonBytes, i).toString('utf8')) as unknown,
    },
    measureOptions,
  );
  for (const [name, values] of Object.entries(rounds))
    out.figures[`${prefix}.${name}.recordsPerSecond`] = figure(values, 'records/s');
  out.ratios[`${prefix}.encodeAvroToJson`] = ratioOf(
    rounds.avroEncode,
    rounds.jsonEncode,
    `${prefix}.avroEncode`,
    `${prefix}.jsonEncode`,
  );
  out.ratios[`${prefix}.decodeAvroToJson`] = ratioOf(
    rounds.avroDecode,
    rounds.jsonDecode,
    `${prefix}.avroDecode`,
    `${prefix}.jsonDecode`,
  );
  out.bytes[prefix] = {
    avro: round(avroSize),
    json: round(jsonSize),
    avroToJson: round(avroSize / jsonSize),
  };
}

/** Avro vs JSON, forms then cases: 9 rounds of 300 ms per contender, 7 of 150 ms with `quick`. */
export async function serdeScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const started = performance.now();
  const measureOptions: MeasureOptions = {
    roundMs: Number(process.env.BENCH_ROUND_MS ?? (options.quick ? 150 : 300)),
    rounds: options.quick ? 7 : 9,
  };
  const { registry, description } = await pickRegistry();
  options.log(`serde: registry ${description}`);
  const forms = Array.from({ length: 512 }, (_, i) => followUpVisitForm(i + 1));
  const cases = Array.from({ length: 512 }, (_, i) => householdMemberCase(i + 1));
  const out = {
    figures: {} as Record<string, Figure>,
    ratios: {} as Record<string, Ratio>,
    bytes: {} as Record<string, unknown>,
  };
  await measureDocuments('form', 'forms', formSchema, forms, registry, measureOptions, out);
  await measureDocuments('case', 'cases', caseSchema, cases, registry, measureOptions, out);
  return {
    scenario: 'serde',
    figures: out.figures,
    ratios: out.ratios,
    peakRssMiB: {},
    seconds: round((performance.now() - started) / 1000),
    setup: {
      documents: {
        form: 'follow-up visit, 61 answers incl. a repeat group',
        case: 'household member, 40 properties',
      },
      registry: description,
      ...measureOptions,
      bytes: out.bytes,
    },
    details: {
      note: "Records/s through each serde, one call at a time (Avro calls awaited): JSON is Buffer.from(JSON.stringify(doc)) and JSON.parse(bytes.toString('utf8')). Ratios Avro / JSON round by round; above 1 favours Avro.",
    },
  };
}
