import { z } from 'zod';
import { defineSink, type Sink, type SinkRecord, type WriteResult } from '../../runtime/contract/index.js';

export const logSink = defineSink({
  name: 'log',
  summary: 'Writes each record as one JSON line to standard output.',
  config: z.object({
    fields: z
      .array(z.enum(['key', 'value', 'headers', 'timestamp', 'routing', 'position']))
      .default(['key', 'value'])
      .describe('Which parts of the record to print.'),
  }),
  example: `type: log
fields: [key, value, position]`,
  create: (config) => new LogSink(config.fields, process.stdout),
});

export class LogSink implements Sink {
  constructor(
    private readonly fields: readonly string[],
    private readonly out: NodeJS.WritableStream,
  ) {}

  write(records: SinkRecord[]): Promise<WriteResult> {
    const lines = records.map((record) => {
      const view: Record<string, unknown> = {
        key: record.key,
        value: record.value,
        headers: record.headers,
        timestamp: new Date(record.timestamp).toISOString(),
        routing: record.routing,
        position: record.origin.position,
      };
      return JSON.stringify(Object.fromEntries(this.fields.map((f) => [f, view[f]])), (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v,
      );
    });
    return new Promise((resolve, reject) =>
      this.out.write(lines.join('\n') + '\n', (error) => (error ? reject(error) : resolve({ failed: [] }))),
    );
  }
}
