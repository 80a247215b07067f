import { z } from 'zod';
import {
  defineSource,
  type ComponentContext,
  type Position,
  type Source,
  type SourceHandler,
  type SourceRecord,
} from '../../runtime/contract/index.js';
import { memoryStream, type MemoryStream } from './memory-stream.js';

export const memorySource = defineSource({
  name: 'memory',
  summary: 'Reads an in-process stream; for tests and examples.',
  config: z.object({
    stream: z
      .string()
      .min(1)
      .default('default')
      .describe('Name of the in-process stream (shared within the process).'),
    lanes: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe('Lanes (like partitions) of the stream when it is created.'),
    follow: z
      .boolean()
      .default(true)
      .describe('Keep waiting for new records at the end of the stream (false: stop there).'),
  }),
  example: `type: memory
stream: orders
lanes: 4`,
  create: async (config, ctx) =>
    new MemorySource(await memoryStream(ctx.resources, config.stream, config.lanes), config.follow, ctx),
});

export class MemorySource implements Source {
  private readonly stopping = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly position: number[];

  constructor(
    private readonly stream: MemoryStream,
    private readonly follow: boolean,
    private readonly ctx: ComponentContext,
  ) {
    this.position = [...stream.committed];
  }

  async start(handler: SourceHandler): Promise<void> {
    const lanes = this.stream.lanes.map((_, i) => String(i));
    await handler.onAssigned(lanes);
    for (let lane = 0; lane < this.stream.lanes.length; lane++) this.loops.push(this.runLane(lane, handler));
  }

  /** Resolves when every lane reached the end of the stream (only when not following). */
  async drained(): Promise<void> {
    await Promise.all(this.loops);
  }

  private async runLane(lane: number, handler: SourceHandler): Promise<void> {
    const entries = this.stream.lanes[lane]!;
    const control = { heartbeat: () => Promise.resolve(), isActive: () => !this.stopping.signal.aborted };
    while (!this.stopping.signal.aborted) {
      const from = this.position[lane]!;
      if (from >= entries.length) {
        if (!this.follow) return;
        await this.stream.waitForAppend(this.stopping.signal);
        continue;
      }
      const to = Math.min(entries.length, from + this.ctx.delivery.maxBatchRecords);
      const records: SourceRecord[] = entries.slice(from, to).map((entry, i) => ({
        key: entry.key,
        value: entry.value,
        headers: entry.headers ?? {},
        timestamp: Date.now(),
        position: { lane: String(lane), offset: String(from + i) },
        raw: {
          key: entry.key === null ? null : Buffer.from(entry.key),
          value: Buffer.from(JSON.stringify(entry.value ?? null)),
          headers: Object.fromEntries(
            Object.entries(entry.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]),
          ),
        },
      }));
      this.position[lane] = to;
      await handler.onBatch(String(lane), records, String(to), control, String(entries.length));
    }
  }

  decode(raw: SourceRecord['raw'], position: Position, timestamp: number): Promise<SourceRecord> {
    const headers = Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, v.toString()]));
    const record: SourceRecord = {
      key: raw.key?.toString() ?? null,
      value: null,
      headers,
      timestamp,
      position,
      raw,
    };
    try {
      record.value = raw.value === null ? null : (JSON.parse(raw.value.toString()) as unknown);
    } catch (error) {
      record.decodeError = error as Error;
    }
    return Promise.resolve(record);
  }

  commit(lane: string, next: string): Promise<void> {
    this.stream.committed[Number(lane)] = Number(next);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.loops);
  }
}
