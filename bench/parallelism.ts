/**
 * The `parallelism` scenario: a stage that waits 5 ms per record (a lookup) on a topic of ONE
 * partition, run as kafka → wait → noop without `parallelism` and with `parallelism: { by: key,
 * maxInFlight: N }` for N = 4 and 16, in this process (PipelineHost, the CLI's registry plus the
 * waiting stage). Without it the lane's records go one after another (~200 records/s); with it,
 * records of different keys wait at the same time, so records/s should grow about N-fold while
 * each key stays in order and commits stay behind durable work. Ratios: with N / without.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PipelineHost } from '../cli/pipeline-host.js';
import { connectors } from '../connectors/index.js';
import { readEndpoints } from '../connectors/endpoints.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import { processors } from '../processors/index.js';
import { loadPipelineText } from '../runtime/config/index.js';
import { defineProcessor, defineSink, type SinkRecord } from '../runtime/contract/index.js';
import { createRegistry } from '../runtime/registry/index.js';
import { silentLogger } from '../runtime/telemetry/logger.js';
import type { Figure, Ratio, ScenarioResult } from './scenario-result.js';
import { figure, ratioOf, round3 } from './spread.js';

const waitMs = 5;
const settings = [1, 4, 16] as const;

/** Counts what the sink wrote and says when `expected` records are in; checks each key's order. */
class Counter {
  /** When the stage received its first record (performance.now()). */
  firstAt = 0;
  written = 0;
  outOfOrder = 0;
  private readonly last = new Map<string, number>();
  private done!: () => void;
  finished = new Promise<void>((resolve) => (this.done = resolve));
  constructor(readonly expected: number) {}
  add(records: SinkRecord[]): void {
    for (const r of records) {
      const n = (r.value as { n: number }).n;
      if ((this.last.get(r.key!) ?? -1) > n) this.outOfOrder++;
      this.last.set(r.key!, n);
    }
    this.written += records.length;
    if (this.written >= this.expected) this.done();
  }
}

function registryFor(counter: Counter) {
  const wait = defineProcessor({
    name: 'bench-wait',
    summary: 'waits 5 ms per record, as a lookup would',
    config: z.object({}),
    example: 'type: bench-wait',
    create: () => ({
      process: async (record) => {
        if (counter.firstAt === 0) counter.firstAt = performance.now();
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        return [record];
      },
    }),
  });
  const count = defineSink({
    name: 'bench-count',
    summary: 'counts records',
    config: z.object({}),
    example: 'type: bench-count',
    create: () => ({
      write: (records: SinkRecord[]) => {
        counter.add(records);
        return Promise.resolve({ failed: [] });
      },
    }),
  });
  return createRegistry([...connectors, ...processors, wait, count]);
}

async function runOnce(topic: string, records: number, inFlight: number, runId: string) {
  const counter = new Counter(records);
  const name = `${runId}-p${inFlight}-${randomBytes(2).toString('hex')}`.replace(/_/g, '-');
  const yaml = `name: ${name}
source: { type: kafka, topics: ['${topic}'], partitions: 1, compact: false }
processors: [{ type: bench-wait }]
sinks: { out: { type: bench-count } }
${inFlight > 1 ? `parallelism: { by: key, maxInFlight: ${inFlight} }` : ''}
deadLetter: { table: false }
`;
  const loaded = loadPipelineText(yaml, 'bench-parallelism.yaml', registryFor(counter), process.env);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const host = new PipelineHost(silentLogger, { defaultMetrics: false });
  await host.start([loaded.plan]);
  try {
    // From the first record the stage receives to the last one written: the group join is left out.
    await counter.finished;
    return {
      recordsPerSecond: counter.written / ((performance.now() - counter.firstAt) / 1000),
      outOfOrder: counter.outOfOrder,
    };
  } finally {
    await host.stop();
  }
}

export async function parallelismScenario(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<ScenarioResult> {
  const started = performance.now();
  const records = Number(process.env.BENCH_PARALLELISM_RECORDS ?? (options.quick ? 1_000 : 4_000));
  const repeats = Number(process.env.BENCH_REPEATS ?? (options.quick ? 1 : 3));
  const runId = `bench_par_${randomBytes(3).toString('hex')}`;
  const topic = `${runId}.docs`;
  const kafka = createKafkaClient('platformatic', {
    brokers: [...readEndpoints().KAFKA_BROKERS],
    clientId: 'tributary-bench-par',
  });
  const admin = await kafka.admin();
  const rates: Record<number, number[]> = { 1: [], 4: [], 16: [] };
  let outOfOrder = 0;
  try {
    await admin.createTopics([
      { topic, partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'delete' } },
    ]);
    const producer = await kafka.producer();
    // 200 keys, each in order: key i % 200, n growing.
    const messages = Array.from({ length: records }, (_, n) => ({
      key: `key-${n % 200}`,
      value: JSON.stringify({ n }),
    }));
    for (let from = 0; from < messages.length; from += 1_000)
      await producer.send(topic, messages.slice(from, from + 1_000));
    await producer.close();
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const inFlight of repeat % 2 ? [...settings].reverse() : settings) {
        const run = await runOnce(topic, records, inFlight, runId);
        rates[inFlight]!.push(run.recordsPerSecond);
        outOfOrder += run.outOfOrder;
        options.log(
          `parallelism: maxInFlight ${inFlight}: ${Math.round(run.recordsPerSecond)} records/s, ${run.outOfOrder} out of order`,
        );
      }
    }
  } finally {
    await admin.deleteTopics([topic]).catch(() => undefined);
    await admin.close();
  }
  if (outOfOrder) throw new Error(`${outOfOrder} records were written before an earlier record of their key`);
  const figures: Record<string, Figure> = {};
  for (const inFlight of settings)
    figures[`inFlight${inFlight}.recordsPerSecond`] = figure(rates[inFlight]!, 'records/s');
  const ratios: Record<string, Ratio> = {
    inFlight4ToSerial: ratioOf(
      rates[4]!,
      rates[1]!,
      'inFlight4.recordsPerSecond',
      'inFlight1.recordsPerSecond',
    ),
    inFlight16ToSerial: ratioOf(
      rates[16]!,
      rates[1]!,
      'inFlight16.recordsPerSecond',
      'inFlight1.recordsPerSecond',
    ),
  };
  return {
    scenario: 'parallelism',
    figures,
    ratios,
    headline: settings.map((n) => `inFlight${n}.recordsPerSecond`),
    peakRssMiB: {},
    seconds: round3((performance.now() - started) / 1000),
    setup: { records, keys: 200, partitions: 1, waitMs, repeats, maxBatchRecords: 500 },
  };
}
