/** A sink spec that keeps what it receives, standing in for a pipeline's real sink in `tributary test`. */
import { z } from 'zod';
import { defineSink, type SinkRecord, type SinkSpec } from '../../runtime/contract/index.js';

export interface CapturedRecord {
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
  routing?: SinkRecord['routing'];
}

export function captureSink(name: string, into: CapturedRecord[]): SinkSpec {
  return defineSink({
    name: `test-capture:${name}`,
    summary: 'Keeps every record it receives (tributary test).',
    config: z.object({}),
    example: '{}',
    create: () => ({
      write: (records: SinkRecord[]) => {
        for (const r of records)
          into.push({
            key: r.key,
            value: r.value,
            headers: r.headers,
            ...(r.routing ? { routing: r.routing } : {}),
          });
        return Promise.resolve({ failed: [] });
      },
    }),
  });
}
