import { readEndpoints } from '../endpoints.js';
import { describe, expect, it } from 'vitest';
import {
  BadRecordError,
  RetryableError,
  type ComponentContext,
  type LaneRefusal,
  type Logger,
  type SourceHandler,
  type SourceRecord,
} from '../../runtime/contract/index.js';
import type { Admin, ConsumerHandlers, FetchedBatch, KafkaClient } from './kafka-client.js';
import { KafkaSource, kafkaSource } from './kafka-source.js';
import type { ValueSerde } from './serde.js';

/** An admin client over literals: the topics exist, the group committed `committed` on every partition, the log starts at `logStart`. */
function literalAdmin(committed: string, logStart: string): Admin {
  const unused = () => Promise.reject(new Error('not used'));
  return {
    createTopics: unused,
    describeTopics: (topics) =>
      Promise.resolve(topics.map((topic) => ({ topic, partitions: 3, configs: {} }))),
    deleteTopics: unused,
    topicOffsets: () =>
      Promise.resolve([0, 1, 2].map((partition) => ({ partition, low: logStart, high: '10' }))),
    offsetsForTime: unused,
    groupOffsets: () => Promise.resolve([0, 1, 2].map((partition) => ({ partition, offset: committed }))),
    setGroupOffsets: unused,
    describeGroup: unused,
    close: () => Promise.resolve(),
  };
}

// A client whose consumer delivers one batch as soon as it starts: enough to drive the source.
function oneBatchClient(batch: FetchedBatch, admin = literalAdmin('-1', '0')): KafkaClient {
  const paused: string[] = [];
  return {
    library: 'kafkajs',
    consumer: () => ({
      start: async (handlers: ConsumerHandlers) => {
        await handlers.onBatch(batch, { heartbeat: () => Promise.resolve(), isActive: () => true });
      },
      commit: () => Promise.resolve(),
      pause: (partitions) => paused.push(...partitions.map((p) => `${p.topic}:${p.partition}`)),
      resume: () => undefined,
      stop: () => Promise.resolve(),
    }),
    producer: () => Promise.reject(new Error('not used')),
    admin: () => Promise.resolve(admin),
    paused,
  } as KafkaClient;
}

const message = (offset: string, value: string) => ({
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(value),
  headers: {},
  offset,
  timestamp: 0,
});
const batch: FetchedBatch = {
  topic: 'cases',
  partition: 2,
  messages: [message('7', 'good'), message('8', 'bad')],
  highWatermark: '10',
};

function collect(): {
  handler: SourceHandler;
  delivered: { lane: string; records: SourceRecord[]; next: string; end?: string }[];
  refused: ({ lane: string } & LaneRefusal)[];
} {
  const delivered: { lane: string; records: SourceRecord[]; next: string; end?: string }[] = [];
  const refused: ({ lane: string } & LaneRefusal)[] = [];
  return {
    delivered,
    refused,
    handler: {
      onAssigned: () => Promise.resolve(),
      onRevoked: () => Promise.resolve(),
      onBatch: (lane, records, next, _control, end) => {
        delivered.push({ lane, records, next, ...(end === undefined ? {} : { end }) });
        return Promise.resolve();
      },
      onLaneRefused: (lane, refusal) => refused.push({ lane, ...refusal }),
    },
  };
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const ctx: ComponentContext = {
  pipeline: 'p',
  logger: quiet,
  signal: new AbortController().signal,
  endpoints: readEndpoints(),
  resources: { get: () => Promise.reject(new Error('not used')) },
  resource: () => {
    throw new Error('no declared resources in this test');
  },
  delivery: { maxBatchRecords: 500, maxBatchBytes: 1 << 20, maxWaitMs: 100, maxInFlight: 4 },
};

describe('KafkaSource', () => {
  it('waits while the registry is unreachable instead of dead-lettering good records', async () => {
    let outages = 2;
    const serde: ValueSerde = {
      encode: () => Promise.reject(new Error('not used')),
      decode: (bytes) => {
        if (outages > 0) {
          outages--;
          return Promise.reject(new RetryableError('schema registry: connect ECONNREFUSED'));
        }
        return bytes.toString() === 'bad'
          ? Promise.reject(new BadRecordError('avro-decode', 'truncated'))
          : Promise.resolve({ ok: true });
      },
    };
    const source = new KafkaSource(
      kafkaSource.config.parse({ topics: ['cases'] }),
      oneBatchClient(batch),
      serde,
      ctx,
    );
    const { handler, delivered } = collect();
    await source.start(handler);

    expect(outages).toBe(0);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ lane: 'cases:2', next: '9', end: '10' });
    const [good, bad] = delivered[0]!.records;
    expect(good).toMatchObject({
      key: 'k7',
      value: { ok: true },
      position: { lane: 'cases:2', offset: '7' },
    });
    expect(good!.decodeError).toBeUndefined();
    expect(bad!.decodeError).toMatchObject({ reason: 'avro-decode' });
  });

  it('refuses a partition whose committed offset the log no longer holds, handing nothing on', async () => {
    const serde: ValueSerde = {
      encode: () => Promise.reject(new Error('not used')),
      decode: () => Promise.resolve({ ok: true }),
    };
    // Committed 3, but the log now starts at 7: records 3–6 were deleted before they were processed.
    const client = oneBatchClient(batch, literalAdmin('3', '7'));
    const source = new KafkaSource(kafkaSource.config.parse({ topics: ['cases'] }), client, serde, ctx);
    const { handler, delivered, refused } = collect();
    await source.start(handler);

    expect(delivered).toEqual([]);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ lane: 'cases:2', reason: 'offset-gap', gapRecords: 4 });
    expect(refused[0]!.message).toMatch(/cases partition 2: the committed offset 3 is below the log start 7/);
    expect((client as unknown as { paused: string[] }).paused).toEqual(['cases:2']);
  });

  it('refuses to start on a topic that does not exist, naming it and the command that creates it', async () => {
    const admin = { ...literalAdmin('-1', '0'), describeTopics: () => Promise.resolve([]) };
    const source = new KafkaSource(
      kafkaSource.config.parse({ topics: ['casse'] }),
      oneBatchClient(batch, admin),
      { encode: () => Promise.reject(new Error('not used')), decode: () => Promise.resolve({}) },
      ctx,
    );
    await expect(source.start(collect().handler)).rejects.toThrow(
      /topic 'casse' of pipeline p does not exist; create it with `tributary topics ensure <pipeline file>`/,
    );
  });
});
