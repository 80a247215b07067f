/**
 * Kafka client throughput through our KafkaClient interface, for each library behind it: produce
 * (idempotent, acks=all, batches of `BENCH_PRODUCE_BATCH` messages, one send at a time) and a bare
 * consume loop (a new group reads a pre-produced topic from the beginning; onBatch only counts,
 * one commit per partition at the end) on the same topic. Consume runs alternate between the
 * libraries and the best run of each is kept, because a 2-core machine shared with the local stack
 * is noisy. Prints JSON and writes it to bench/results/kafka-clients.json (run from the repository
 * root; see bench/README.md for building the scripts).
 *
 * BENCH_MESSAGES (default 200000), BENCH_VALUE_BYTES (100), BENCH_PARTITIONS (4), BENCH_ROUNDS (4).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { readEndpoints } from '../connectors/endpoints.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import type { KafkaClient, ProducedMessage } from '../connectors/kafka/kafka-client.js';

const libraries = ['kafkajs', 'platformatic'] as const;
type Library = (typeof libraries)[number];

const messageCount = Number(process.env.BENCH_MESSAGES ?? 200_000);
const valueBytes = Number(process.env.BENCH_VALUE_BYTES ?? 100);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 4);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const produceBatch = Number(process.env.BENCH_PRODUCE_BATCH ?? 1_000);
const run = `bench_${randomBytes(3).toString('hex')}`;

const brokers = [...readEndpoints().KAFKA_BROKERS];
const clients = Object.fromEntries(
  libraries.map((library) => [
    library,
    createKafkaClient(library, { brokers, clientId: `${run}-${library}` }),
  ]),
) as Record<Library, KafkaClient>;

function payload(i: number): ProducedMessage {
  const id = `doc-${(i % 50_000).toString().padStart(5, '0')}`;
  return {
    key: id,
    value: `{"id":"${id}","version":${i}}`.padEnd(valueBytes, ' '),
    headers: { source: 'bench' },
  };
}

async function produce(
  library: Library,
  topic: string,
): Promise<{ messagesPerSecond: number; seconds: number }> {
  const producer = await clients[library].producer();
  const chunks = Array.from({ length: Math.ceil(messageCount / produceBatch) }, (_, c) =>
    Array.from({ length: Math.min(produceBatch, messageCount - c * produceBatch) }, (_, i) =>
      payload(c * produceBatch + i),
    ),
  );
  await producer.send(topic, [payload(-1)]); // connection, metadata and producer id outside the timing
  const started = performance.now();
  for (const chunk of chunks) await producer.send(topic, chunk);
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return { messagesPerSecond: Math.round(messageCount / seconds), seconds: round(seconds) };
}

interface ConsumeResult {
  /** From start() to the last message, group join included. */
  messagesPerSecond: number;
  /** From the first message to the last: the steady state. */
  steadyMessagesPerSecond: number;
  joinSeconds: number;
  batches: number;
  meanBatchSize: number;
}

async function consume(
  library: Library,
  topic: string,
  expected: number,
  attempt: number,
): Promise<ConsumeResult> {
  const groupId = `${run}.${library}.${attempt}`;
  const consumer = clients[library].consumer({
    groupId,
    topics: [topic],
    fromBeginning: true,
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 3_000,
    rebalanceTimeoutMs: 60_000,
    maxBytes: 10 * 1_048_576,
    partitionsInFlight: partitions,
  });
  let received = 0;
  let batches = 0;
  let firstAt = 0;
  const last = new Map<number, string>();
  const started = performance.now();
  const done = new Promise<number>((resolve) => {
    void consumer.start({
      onBatch: (batch) => {
        if (firstAt === 0) firstAt = performance.now();
        received += batch.messages.length;
        batches++;
        last.set(batch.partition, batch.messages[batch.messages.length - 1]!.offset);
        if (received >= expected) resolve(performance.now());
        return Promise.resolve();
      },
    });
  });
  const finishedAt = await done;
  await consumer.commit(
    [...last].map(([partition, offset]) => ({ topic, partition, offset: String(BigInt(offset) + 1n) })),
  );
  await consumer.stop();
  return {
    messagesPerSecond: Math.round(received / ((finishedAt - started) / 1000)),
    steadyMessagesPerSecond: Math.round(received / ((finishedAt - firstAt) / 1000)),
    joinSeconds: round((firstAt - started) / 1000),
    batches,
    meanBatchSize: Math.round(received / batches),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

async function main(): Promise<void> {
  const admin = await clients.kafkajs.admin();
  const topics = Object.fromEntries(
    libraries.map((library) => [library, `${run}.produced-by-${library}`]),
  ) as Record<Library, string>;
  await admin.createTopics(
    libraries.map((library) => ({ topic: topics[library], partitions, replicationFactor: 1 })),
  );
  try {
    const produced = {} as Record<Library, Awaited<ReturnType<typeof produce>>>;
    for (const library of libraries) produced[library] = await produce(library, topics[library]);

    // Everyone reads the same topic (the one kafkajs wrote; its +1 warm-up message included).
    const topic = topics.kafkajs;
    const expected = messageCount + 1;
    const consumed = Object.fromEntries(
      libraries.map((library) => [library, [] as ConsumeResult[]]),
    ) as Record<Library, ConsumeResult[]>;
    for (let attempt = 0; attempt < rounds; attempt++) {
      const order = attempt % 2 === 0 ? libraries : [...libraries].reverse();
      for (const library of order) {
        const result = await consume(library, topic, expected, attempt);
        consumed[library].push(result);
        console.error(`consume ${library} round ${attempt}: ${result.steadyMessagesPerSecond} msg/s steady`);
      }
    }
    const best = (library: Library) =>
      consumed[library].reduce((a, b) => (b.steadyMessagesPerSecond > a.steadyMessagesPerSecond ? b : a));
    const median = (library: Library) => {
      const rates = consumed[library].map((r) => r.steadyMessagesPerSecond).sort((a, b) => a - b);
      return rates.length % 2
        ? rates[(rates.length - 1) / 2]!
        : Math.round((rates[rates.length / 2 - 1]! + rates[rates.length / 2]!) / 2);
    };

    const result = {
      benchmark: 'kafka-clients',
      at: new Date().toISOString(),
      node: process.version,
      setup: { messages: messageCount, valueBytes, partitions, produceBatch, rounds, brokers },
      produce: produced,
      consume: Object.fromEntries(
        libraries.map((library) => [
          library,
          { medianSteadyMessagesPerSecond: median(library), best: best(library), runs: consumed[library] },
        ]),
      ),
      ratios: {
        produce: round(produced.platformatic.messagesPerSecond / produced.kafkajs.messagesPerSecond),
        consumeBest: round(
          best('platformatic').steadyMessagesPerSecond / best('kafkajs').steadyMessagesPerSecond,
        ),
        consumeMedian: round(median('platformatic') / median('kafkajs')),
      },
      note: 'ratios are platformatic / kafkajs',
    };
    const json = JSON.stringify(result, null, 2);
    console.log(json);
    await mkdir('bench/results', { recursive: true });
    await writeFile('bench/results/kafka-clients.json', `${json}\n`);
  } finally {
    await admin.deleteTopics(Object.values(topics));
    await admin.close();
  }
}

await main();
