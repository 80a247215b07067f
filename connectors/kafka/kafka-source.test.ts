import { readEndpoints } from '../endpoints.js';
import { describe, expect, it } from 'vitest';
import {
  BadRecordError,
  RetryableError,
  type ComponentContext,
  type Logger,
  type SourceHandler,
  type SourceRecord,
} from '../../runtime/contract/index.js';
import type { ConsumerHandlers, FetchedBatch, KafkaClient } from './kafka-client.js';
import { KafkaSource, kafkaSource } from './kafka-source.js';
import type { ValueSerde } from './serde.js';

// A client whose consumer delivers one batch as soon as it starts: enough to drive the source.
function oneBatchClient(batch: FetchedBatch): KafkaClient {
  return {
    library: 'kafkajs',
    consumer: () => ({
      start: async (handlers: ConsumerHandlers) => {
        await handlers.onBatch(batch, { heartbeat: () => Promise.resolve(), isActive: () => true });
      },
      commit: () => Promise.resolve(),
      pause: () => undefined,
      resume: () => undefined,
      stop: () => Promise.resolve(),
    }),
    producer: () => Promise.reject(new Error('not used')),
    admin: () => Promise.reject(new Error('not used')),
  };
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
} {
  const delivered: { lane: string; records: SourceRecord[]; next: string; end?: string }[] = [];
  return {
    delivered,
    handler: {
      onAssigned: () => Promise.resolve(),
      onRevoked: () => Promise.resolve(),
      onBatch: (lane, records, next, _control, end) => {
        delivered.push({ lane, records, next, ...(end === undefined ? {} : { end }) });
        return Promise.resolve();
      },
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
});
