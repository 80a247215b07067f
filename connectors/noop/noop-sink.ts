import { z } from 'zod';
import { defineSink, type Sink, type WriteResult } from '../../runtime/contract/index.js';

export const noopSink = defineSink({
  name: 'noop',
  summary: 'Accepts every record and writes nothing; the baseline sink for benchmarks.',
  description:
    'Every write resolves at once as durable, so a pipeline ending in it measures the source, the processors and ' +
    'the runtime alone (`npm run bench -- runtime`).',
  config: z.object({}),
  example: 'type: noop',
  create: () => new NoopSink(),
});

export class NoopSink implements Sink {
  /** Resolves at once: nothing is written, nothing fails. */
  write(): Promise<WriteResult> {
    return Promise.resolve({ failed: [] });
  }
}
