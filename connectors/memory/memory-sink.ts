import { z } from 'zod';
import {
  defineSink,
  RetryableError,
  type Sink,
  type SinkRecord,
  type WriteResult,
} from '../../runtime/contract/index.js';
import { memoryStore, type MemoryStore } from './memory-stream.js';

export const memorySink = defineSink({
  name: 'memory',
  summary: 'Keeps the latest version of every key in process memory; for tests and examples.',
  config: z.object({
    store: z
      .string()
      .min(1)
      .default('default')
      .describe('Name of the in-process store (shared within the process).'),
    target: z
      .string()
      .min(1)
      .default('default')
      .describe('Target (like a table) for records whose routing names none.'),
    failFirstWrites: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Fail this many write calls with a transient error first (to exercise retries).'),
  }),
  example: `type: memory
store: results`,
  create: async (config, ctx) =>
    new MemorySink(await memoryStore(ctx.resources, config.store), config.target, config.failFirstWrites),
});

export class MemorySink implements Sink {
  constructor(
    private readonly store: MemoryStore,
    private readonly target: string,
    private failuresLeft: number,
  ) {}

  write(records: SinkRecord[]): Promise<WriteResult> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      return Promise.reject(new RetryableError('memory sink: simulated transient failure'));
    }
    const failed: WriteResult['failed'] = [];
    records.forEach((record, index) => {
      if (record.key === null) {
        failed.push({ index, error: new Error('memory sink: a record needs a key') });
        return;
      }
      const version = BigInt(record.routing?.version ?? record.origin.position.offset);
      const deleted = record.routing?.op === 'delete' || record.value === null;
      this.store.apply(record.routing?.target ?? this.target, record.key, version, record.value, deleted);
    });
    return Promise.resolve({ failed });
  }
}
