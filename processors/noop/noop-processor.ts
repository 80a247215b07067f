import { z } from 'zod';
import { defineProcessor, type PipelineRecord } from '../../runtime/contract/index.js';

export const noopProcessor = defineProcessor({
  name: 'noop',
  summary: 'Passes every record on unchanged; the baseline stage for benchmarks.',
  config: z.object({}),
  example: 'type: noop',
  create: () => ({ process: (record: PipelineRecord) => [record] }),
});
