/**
 * The ingest scenario's bare baseline, in a process of its own: a consumer of the same Kafka client
 * the pipeline uses (@platformatic/kafka, through KafkaClient) that decodes each Avro change event,
 * evaluates the same compiled UCR data sources, COPYs the rows into plain tables (one COPY per
 * table per fetched batch) and commits the batch's offsets; no engine, no retries, no dead letters.
 * Exits once every document is done, printing `{ documents, rows, maxRssKiB }` on stdout.
 * Started by bench/ingest.ts with an IngestBareRequest (JSON) as its argument.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { readEndpoints } from '../connectors/endpoints.js';
import { createAvroSerde } from '../connectors/kafka/avro-serde.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import { SchemaRegistryClient } from '../connectors/kafka/schema-registry-client.js';
import { compileDataSource } from '../commcare/ucr/compile-data-source.js';
import { caseSchema, formSchema } from '../schemas/generated/index.js';
import { copiedColumns, eventDocument, rowsOf } from './ingest-rows.js';

export interface IngestBareRequest {
  group: string;
  topics: { forms: string; cases: string };
  /** Data source configuration files (already given this run's table ids). */
  dataSourceFiles: string[];
  /** The schema holding the baseline's tables (one per table id, created by the scenario). */
  schema: string;
  documents: number;
  maxBatchBytes: number;
  maxInFlight: number;
}

const request = JSON.parse(process.argv[2] ?? '') as IngestBareRequest;
const endpoints = readEndpoints();
const dataSources = request.dataSourceFiles.map((file) =>
  compileDataSource(JSON.parse(readFileSync(file, 'utf8')), { path: file }),
);
const registry = new SchemaRegistryClient({ url: endpoints.SCHEMA_REGISTRY_URL });
const serdes = {
  [request.topics.forms]: {
    kind: 'form' as const,
    serde: createAvroSerde({ subject: 'bench.ingest.forms-value', schema: formSchema }, registry),
  },
  [request.topics.cases]: {
    kind: 'case' as const,
    serde: createAvroSerde({ subject: 'bench.ingest.cases-value', schema: caseSchema }, registry),
  },
};
const copySql = new Map(
  dataSources.map((ds) => [
    ds.tableId,
    `COPY "${request.schema}"."${ds.tableId}" (${copiedColumns(ds)
      .map((c) => `"${c}"`)
      .join(', ')}) FROM STDIN`,
  ]),
);
const pool = new pg.Pool({ connectionString: endpoints.DATABASE_URL, max: request.maxInFlight + 1 });
const client = createKafkaClient('platformatic', {
  brokers: [...endpoints.KAFKA_BROKERS],
  clientId: 'tributary-bench-bare',
});

let documents = 0;
let rows = 0;
let finish!: () => void;
let fail!: (error: Error) => void;
const finished = new Promise<void>((resolve, reject) => {
  finish = resolve;
  fail = reject;
});
const consumer = client.consumer({
  groupId: request.group,
  topics: [request.topics.forms, request.topics.cases],
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
      const { kind, serde } = serdes[batch.topic]!;
      const lines = new Map<string, string[]>();
      for (const message of batch.messages)
        rows += rowsOf(eventDocument(kind, await serde.decode(message.value!)), dataSources, lines);
      for (const [tableId, text] of lines) {
        const connection = await pool.connect();
        try {
          await streamPipeline(
            Readable.from([text.join('')]),
            connection.query(copyFrom(copySql.get(tableId)!)),
          );
        } finally {
          connection.release();
        }
      }
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
process.stdout.write(`${JSON.stringify({ documents, rows, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
process.exit(0);
