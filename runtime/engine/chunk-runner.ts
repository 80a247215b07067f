/**
 * One chunk of a lane's batch through the pipeline, in four named steps: the processor stages,
 * routing to the sinks, the sink writes, and the dead letters of every record that failed for
 * good on the way. Transient failures are retried where they happen; nothing is skipped.
 */
import {
  isRetryable,
  type DeadLetter,
  type LaneControl,
  type Logger,
  type PipelineRecord,
  type Processor,
  type ProcessorContext,
  type Sink,
  type SinkRecord,
  type SourceRecord,
  type WriteFailure,
} from '../contract/index.js';
import type { PipelinePlan } from '../config/load-pipeline.js';
import type { ReadinessTracker } from './readiness.js';
import { toDeadLetter } from './dead-letters.js';
import { belongsToRecords, classifyBatchFailure } from './record-errors.js';
import { retryTransient, WorkAbandonedError, type RetryHooks } from './retry.js';
import type { RunnerDependencies } from './pipeline-runner.js';

export interface Stage {
  name: string;
  processor: Processor;
}

/** Where a chunk's work belongs: its lane, and how to keep it alive and know it is still ours. */
export interface LaneWork {
  lane: string;
  control: LaneControl;
  isActive: () => boolean;
}

interface InFlight {
  origin: SourceRecord;
  record: PipelineRecord;
}

export class ChunkRunner {
  private readonly processorContext: ProcessorContext;

  constructor(
    private readonly plan: PipelinePlan,
    private readonly stages: Stage[],
    private readonly sinks: [string, Sink][],
    private readonly deps: RunnerDependencies,
    private readonly log: Logger,
    private readonly readiness: ReadinessTracker,
  ) {
    this.processorContext = { pipeline: plan.name, logger: log };
  }

  /** Resolves once every record of the chunk is durable in its sinks or a durable dead letter. */
  async run(work: LaneWork, records: SourceRecord[]): Promise<void> {
    const letters: DeadLetter[] = [];
    const decoded = this.undecodableToLetters(records, letters);
    const processed = await this.runStages(work, decoded, letters);
    const bySink = this.route(processed, letters);
    await this.writeSinks(work, bySink, letters);
    await this.sendDeadLetters(work, letters);
  }

  /** Retry hooks that count, log and report (readiness) the failures of `what`. */
  hooks(what: string, stage: string, work: LaneWork, probe?: () => Promise<void>): RetryHooks {
    return {
      onRetry: (error, attempt, delayMs) => {
        this.deps.metrics.retries.inc({ pipeline: this.plan.name, stage });
        this.readiness.fail(what, error);
        this.log.warn(
          {
            stage,
            lane: work.lane,
            attempt,
            delayMs,
            error: error instanceof Error ? error.message : String(error),
          },
          'Retrying after a transient failure.',
        );
      },
      onSuccess: () => this.readiness.succeed(what),
      keepAlive: () => work.control.heartbeat(),
      isActive: work.isActive,
      ...(probe ? { probe } : {}),
    };
  }

  private letter(stage: string, record: SourceRecord, error: unknown): DeadLetter {
    return toDeadLetter(this.plan.name, this.plan.deadLetter.topic, stage, record, error, 1);
  }

  /** Step 0: a record the source could not decode is a dead letter; the others go on. */
  private undecodableToLetters(records: SourceRecord[], letters: DeadLetter[]): InFlight[] {
    const items: InFlight[] = [];
    for (const record of records) {
      if (record.decodeError) letters.push(this.letter('decode', record, record.decodeError));
      else items.push({ origin: record, record });
    }
    return items;
  }

  /** Step 1: every stage in order; a record a stage rejects for good becomes a dead letter. */
  private async runStages(work: LaneWork, items: InFlight[], letters: DeadLetter[]): Promise<InFlight[]> {
    for (const stage of this.stages) {
      if (stage.processor.prepare && items.length) {
        const batch = items.map((item) => item.record);
        await retryTransient(
          () => stage.processor.prepare!(batch, this.processorContext),
          this.plan.delivery.retry,
          this.hooks(`stage ${stage.name}`, stage.name, work),
        );
      }
      const next: InFlight[] = [];
      for (const item of items) {
        try {
          let produced = this.processOne(stage, item.record, work);
          if (produced instanceof Promise) produced = await produced;
          if (produced.length === 1 && produced[0] === item.record) next.push(item);
          else for (const record of produced) next.push({ origin: item.origin, record });
        } catch (error) {
          if (error instanceof WorkAbandonedError) throw error;
          letters.push(this.letter(stage.name, item.origin, error));
        }
      }
      items = next;
    }
    return items;
  }

  /** One record through one stage; most stages are synchronous, so only a promise or a failure costs an await. */
  private processOne(
    stage: Stage,
    record: PipelineRecord,
    work: LaneWork,
  ): PipelineRecord[] | Promise<PipelineRecord[]> {
    let produced: PipelineRecord[] | Promise<PipelineRecord[]>;
    try {
      produced = stage.processor.process(record, this.processorContext);
    } catch (error) {
      return this.retryProcessor(stage, record, error, work);
    }
    if (produced instanceof Promise)
      return produced.catch((error: unknown) => this.retryProcessor(stage, record, error, work));
    return produced;
  }

  /** A transient failure of a stage is retried (forever, with backoff); any other is rethrown for the dead-letter path. */
  private retryProcessor(
    stage: Stage,
    record: PipelineRecord,
    error: unknown,
    work: LaneWork,
  ): Promise<PipelineRecord[]> {
    if (!isRetryable(error)) return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    return retryTransient(
      () => Promise.resolve(stage.processor.process(record, this.processorContext)),
      this.plan.delivery.retry,
      this.hooks(`stage ${stage.name}`, stage.name, work),
      error,
    );
  }

  /** Step 2: each record to the sink its routing names, or to every sink; an unknown sink is a dead letter. */
  private route(items: InFlight[], letters: DeadLetter[]): Map<string, SinkRecord[]> {
    const bySink = new Map<string, SinkRecord[]>(this.sinks.map(([name]) => [name, []]));
    for (const { origin, record } of items) {
      const target = record.routing?.sink;
      if (target === undefined) {
        for (const list of bySink.values()) list.push({ ...record, origin });
        continue;
      }
      const list = bySink.get(target);
      if (list) list.push({ ...record, origin });
      else
        letters.push(this.letter('route', origin, new Error(`no sink named '${target}' in this pipeline`)));
    }
    return bySink;
  }

  /** Step 3: every sink's part, concurrently; records a sink lists as failed become dead letters. */
  private async writeSinks(
    work: LaneWork,
    bySink: Map<string, SinkRecord[]>,
    letters: DeadLetter[],
  ): Promise<void> {
    await Promise.all(
      this.sinks.map(async ([name, sink]) => {
        const batch = bySink.get(name)!;
        if (!batch.length) return;
        const failures = await this.writeToSink(name, sink, batch, work);
        const failedIndexes = new Set<number>();
        for (const failure of failures) {
          failedIndexes.add(failure.index);
          letters.push(this.letter(`sink:${name}`, batch[failure.index]!.origin, failure.error));
        }
        this.deps.metrics.recordsOut.inc(
          { pipeline: this.plan.name, sink: name },
          batch.length - failedIndexes.size,
        );
      }),
    );
  }

  /**
   * Writes a batch, retrying it whole until it is durable. Only when the target says a record of
   * it is wrong (see record-errors.ts) is it written record by record, to find the ones at fault.
   */
  private async writeToSink(
    name: string,
    sink: Sink,
    batch: SinkRecord[],
    work: LaneWork,
  ): Promise<WriteFailure[]> {
    const hooks = this.hooks(`sink '${name}'`, `sink:${name}`, work, sink.probe?.bind(sink));
    const attempt = async () => {
      const end = this.deps.metrics.sinkWriteDuration.startTimer({ pipeline: this.plan.name, sink: name });
      try {
        return await sink.write(batch);
      } catch (error) {
        throw classifyBatchFailure(error);
      } finally {
        end();
      }
    };
    try {
      return (await retryTransient(attempt, this.plan.delivery.retry, hooks)).failed;
    } catch (error) {
      if (!belongsToRecords(error)) throw error;
      if (batch.length === 1) return [{ index: 0, error: error as Error }];
      this.log.warn(
        { sink: name, lane: work.lane, error: (error as Error).message },
        'The target refused a record of the batch; writing its records one by one to find the ones at fault.',
      );
      const failures: WriteFailure[] = [];
      for (let index = 0; index < batch.length; index++) {
        const [failure] = await this.writeToSink(name, sink, [batch[index]!], work);
        if (failure) failures.push({ index, error: failure.error });
      }
      return failures;
    }
  }

  /** Step 4: the chunk's dead letters, durable before the chunk counts as done. */
  private async sendDeadLetters(work: LaneWork, letters: DeadLetter[]): Promise<void> {
    if (!letters.length) return;
    await retryTransient(
      () => this.deps.deadLetters.write(letters),
      this.plan.delivery.retry,
      this.hooks('the dead-letter writer', 'dead-letter', work),
    );
    for (const letter of letters)
      this.deps.metrics.deadLetters.inc({ pipeline: this.plan.name, stage: letter.stage });
    this.log.warn(
      {
        lane: work.lane,
        count: letters.length,
        first: {
          stage: letters[0]!.stage,
          message: letters[0]!.message,
          offset: letters[0]!.record.position.offset,
        },
      },
      'Sent records that failed permanently to the dead-letter topic.',
    );
  }
}
