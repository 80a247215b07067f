/** The shape of a pipeline file around its components; component configs come from their specs. */
import { z } from 'zod';

export const retrySchema = z
  .strictObject({
    initialDelayMs: z
      .number()
      .int()
      .positive()
      .default(200)
      .describe('First wait after a transient failure.'),
    maxDelayMs: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .describe(
        'Cap on the wait between attempts. A sink that can be probed (PostgreSQL) ends the wait as soon as it answers again, ' +
          'so the cap mostly bounds how often a dependency without a probe is tried.',
      ),
    multiplier: z.number().min(1).default(2).describe('Growth of the wait per attempt.'),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Random share of each wait (0–1) so workers do not retry in step.'),
  })
  .describe(
    'Retry policy for transient failures: capped exponential backoff with jitter; never skips a record.',
  );

export const deliverySchema = z
  .strictObject({
    maxBatchRecords: z
      .number()
      .int()
      .positive()
      .default(500)
      .describe('Most records per batch handed to the stages and sinks.'),
    maxBatchBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024)
      .describe('Most bytes fetched per partition and request.'),
    maxWaitMs: z
      .number()
      .int()
      .nonnegative()
      .default(100)
      .describe('Longest a fetch waits for a batch to fill.'),
    maxInFlight: z
      .number()
      .int()
      .positive()
      .default(4)
      .describe('Lanes (partitions) one worker processes at the same time; order within a lane is kept.'),
    retry: retrySchema.prefault({}),
    shutdownTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe(
        'On SIGTERM, how long in-flight batches may take to finish and commit before the worker exits anyway.',
      ),
  })
  .describe('Batching, parallelism, retries and shutdown.');

export const deadLetterSchema = z
  .strictObject({
    topic: z
      .string()
      .min(1)
      .optional()
      .describe('Dead-letter topic; `<pipeline name>.dead-letter` when absent.'),
    partitions: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe('Partitions of the dead-letter topic when it is created.'),
    table: z
      .boolean()
      .default(true)
      .describe('Also record each dead letter in the tributary_dead_letters table of DATABASE_URL.'),
  })
  .describe('Where records that fail permanently go, with their reason.');

export const componentRefSchema = z.looseObject({
  type: z.string().min(1).describe('Component name, as listed by `tributary docs`.'),
});

export const pipelineNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]*$/, 'expected lowercase letters, digits, ".", "_" or "-", starting with a letter')
  .max(100);

const partName = (what: string) =>
  z.string().regex(/^[a-z][a-z0-9_-]*$/, `expected a lowercase ${what} name`);

export const pipelineFileSchema = z.strictObject({
  $schema: z.string().optional().describe('JSON Schema reference for editors; ignored.'),
  name: pipelineNameSchema.describe(
    'Pipeline name: also its consumer group and the prefix of its dead-letter topic.',
  ),
  description: z.string().optional().describe('What this pipeline is for.'),
  resources: z
    .record(partName('resource'), componentRefSchema)
    .default({})
    .describe(
      'Named resources the components share (a UCR catalog, a search index catalog), each created once per pipeline; components name them (`catalog: ucr`).',
    ),
  source: componentRefSchema.describe('Where records come from.'),
  processors: z.array(componentRefSchema).default([]).describe('Stages applied in order to every record.'),
  sinks: z
    .record(partName('sink'), componentRefSchema)
    .refine((sinks) => Object.keys(sinks).length > 0, 'expected at least one sink')
    .describe('Named sinks; a record goes to the sink its routing names, or to every sink.'),
  delivery: deliverySchema.prefault({}),
  deadLetter: deadLetterSchema.prefault({}),
});

export type Delivery = z.output<typeof deliverySchema>;
export type RetryPolicy = z.output<typeof retrySchema>;
export type DeadLetterConfig = z.output<typeof deadLetterSchema>;
