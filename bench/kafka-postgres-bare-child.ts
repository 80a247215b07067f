/**
 * The kafka-postgres scenario's bare baseline, in a process of its own (its CPU time and peak RSS
 * are its own): the loop a careful engineer would write without a framework, on the same Kafka
 * client (@platformatic/kafka, through KafkaClient). Per fetched batch: decode every value (JSON
 * or Avro), keep the newest version of each key, COPY (key, version, document) into a temporary
 * staging table and upsert from it with the same version guard as the sink, in one transaction,
 * then commit the batch's offset. A JSON document goes to PostgreSQL as the text it arrived as.
 * Started by bench/kafka-postgres.ts with a KafkaPostgresBareRequest (JSON) as its argument.
 */
import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { readEndpoints } from '../connectors/endpoints.js';
import { createAvroSerde } from '../connectors/kafka/avro-serde.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import { SchemaRegistryClient } from '../connectors/kafka/schema-registry-client.js';
import { caseSchema } from '../schemas/generated/index.js';
import { copyText } from './ingest-rows.js';

export interface KafkaPostgresBareRequest {
  group: string;
  topic: string;
  format: 'json' | 'avro';
  /** Avro: the registry subject the values were written under. */
  subject?: string;
  /** The table to upsert into (created by the scenario): doc_id text key, version bigint, doc jsonb. */
  table: string;
  documents: number;
  maxBatchBytes: number;
  maxInFlight: number;
}

const request = JSON.parse(process.argv[2] ?? '') as KafkaPostgresBareRequest;
const endpoints = readEndpoints();
const serde =
  request.format === 'avro'
    ? createAvroSerde(
        { subject: request.subject!, schema: caseSchema },
        new SchemaRegistryClient({ url: endpoints.SCHEMA_REGISTRY_URL }),
      )
    : undefined;
const pool = new pg.Pool({ connectionString: endpoints.DATABASE_URL, max: request.maxInFlight + 1 });
const client = createKafkaClient('platformatic', {
  brokers: [...endpoints.KAFKA_BROKERS],
  clientId: 'tributary-bench-bare',
});
const upsert =
  `INSERT INTO ${request.table} (doc_id, version, doc, updated_at) SELECT doc_id, version, doc, now() FROM bare_stage ` +
  `ON CONFLICT (doc_id) DO UPDATE SET version = excluded.version, doc = excluded.doc, updated_at = excluded.updated_at ` +
  `WHERE ${request.table}.version < excluded.version`;

/** Key, version and the document's JSON text of one record. */
async function decode(key: Buffer, value: Buffer): Promise<{ key: string; version: number; json: string }> {
  if (serde) {
    const doc = (await serde.decode(value)) as { version: number };
    return { key: key.toString('utf8'), version: doc.version, json: JSON.stringify(doc) };
  }
  const json = value.toString('utf8');
  return { key: key.toString('utf8'), version: (JSON.parse(json) as { version: number }).version, json };
}

async function writeBatch(rows: Map<string, { version: number; json: string }>): Promise<void> {
  let text = '';
  for (const [key, row] of rows) text += `${copyText(key)}\t${row.version}\t${copyText(row.json)}\n`;
  const connection = await pool.connect();
  try {
    await connection.query('BEGIN');
    await connection.query(
      `CREATE TEMP TABLE IF NOT EXISTS bare_stage (doc_id text, version bigint, doc jsonb) ON COMMIT DELETE ROWS`,
    );
    await streamPipeline(Readable.from([text]), connection.query(copyFrom('COPY bare_stage FROM STDIN')));
    await connection.query(upsert);
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
}

let documents = 0;
let finish!: () => void;
let fail!: (error: Error) => void;
const finished = new Promise<void>((resolve, reject) => {
  finish = resolve;
  fail = reject;
});
const consumer = client.consumer({
  groupId: request.group,
  topics: [request.topic],
  fromBeginning: true,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  maxBytes: request.maxBatchBytes,
  partitionsInFlight: request.maxInFlight,
  clientId: 'tributary-bench-bare',
});
await consumer.start({
  onBatch: async (batch) => {
    try {
      // One statement cannot touch a row twice: the newest version of each key in the batch.
      const rows = new Map<string, { version: number; json: string }>();
      for (const message of batch.messages) {
        const row = await decode(message.key!, message.value!);
        const seen = rows.get(row.key);
        if (!seen || seen.version <= row.version) rows.set(row.key, row);
      }
      await writeBatch(rows);
      await consumer.commit([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(BigInt(batch.messages.at(-1)!.offset) + 1n),
        },
      ]);
      documents += batch.messages.length;
      if (documents >= request.documents) finish();
    } catch (error) {
      fail(error as Error);
    }
  },
});
try {
  await finished;
} finally {
  await consumer.stop();
  await pool.end();
}
process.stdout.write(`${JSON.stringify({ documents })}\n`);
process.exit(0);
