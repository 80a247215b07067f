/**
 * Runs one pipeline plan: source batches through the processor chain into the sinks, dead letters
 * for records that fail permanently, retries for transient failures, and commits of the highest
 * contiguous durable position per lane. Knows nothing of any particular source or sink.
 */
import { performance } from 'node:perf_hooks';
import {
  isRetryable,
  type BoundedRunOptions,
  type BoundedRunResult,
  type ComponentContext,
  type DeadLetter,
  type DeadLetterWriter,
  type Endpoints,
  type LaneControl,
  type Logger,
  type PipelineRecord,
  type Processor,
  type ProcessorContext,
  type Resources,
  type ResourceType,
  type Sink,
  type SinkRecord,
  type Source,
  type SourceHandler,
  type SourceRecord,
  type WriteFailure,
} from '../contract/index.js';
import type { PipelinePlan } from '../config/load-pipeline.js';
import type { PipelineMetrics } from '../telemetry/metrics.js';
import { Checkpointer } from './checkpointer.js';
import { DeclaredResources } from './declared-resources.js';
import { LaneCommitter } from './lane-committer.js';
import { toDeadLetter } from './dead-letters.js';
import { retryTransient, WorkAbandonedError } from './retry.js';

export interface RunnerDependencies {
  logger: Logger;
  metrics: PipelineMetrics;
  resources: Resources;
  deadLetters: DeadLetterWriter;
  /** Where the outside systems are, read once by the CLI; every component's context carries them. */
  endpoints: Endpoints;
}

interface Stage {
  name: string;
  processor: Processor;
}

interface InFlight {
  origin: SourceRecord;
  record: PipelineRecord;
}

export class PipelineRunner {
  readonly name: string;
  private readonly checkpointer = new Checkpointer();
  /**
   * Commits run beside the next batches. One that cannot reach the source is retried; if the lane
   * goes meanwhile, its next owner starts from the previous commit: at least once, never a gap.
   */
  private readonly committer = new LaneCommitter(async (lane, position) => {
    const noControl: LaneControl = { heartbeat: () => Promise.resolve(), isActive: () => true };
    try {
      await retryTransient(
        () => this.source.commit(lane, position),
        this.plan.delivery.retry,
        this.retryHooks(
          'commit',
          lane,
          noControl,
          () => this.activeLanes.has(lane) && !this.abort.signal.aborted,
        ),
      );
    } catch (error) {
      // Never fatal: a lost commit only means the next commit, or the next owner, covers it.
      this.log.warn(
        { lane, position, error: error instanceof Error ? error.message : String(error) },
        'A commit did not go through; the next commit (or the next owner of the lane) covers it.',
      );
    }
  });
  private readonly activeLanes = new Set<string>();
  private readonly abort = new AbortController();
  private stopping: Promise<void> | undefined;
  private started = false;
  private fatalError: Error | undefined;
  private readonly fatalListeners: ((error: Error) => void)[] = [];
  private readonly log: Logger;
  private readonly processorContext: ProcessorContext;
  /** Records delivered by the source (what a bounded run reports). */
  private delivered = 0;

  private constructor(
    private readonly plan: PipelinePlan,
    private readonly source: Source,
    private readonly stages: Stage[],
    private readonly sinks: [string, Sink][],
    private readonly deps: RunnerDependencies,
    private readonly declared: DeclaredResources,
  ) {
    this.name = plan.name;
    this.log = deps.logger.child({ pipeline: plan.name });
    this.processorContext = { pipeline: plan.name, logger: this.log };
  }

  /** Builds the plan's declared resources, then every component, through their specs' factories. */
  static async create(
    plan: PipelinePlan,
    deps: RunnerDependencies,
    signal: AbortSignal,
  ): Promise<PipelineRunner> {
    const built: { runner?: PipelineRunner } = {};
    const declared: DeclaredResources = await DeclaredResources.create(plan, (name, path) => ({
      ...componentContext(plan, deps, signal, path, () => declared),
      name,
      runBounded: (source, options) => {
        if (!built.runner) throw new Error('a resource cannot run work before its pipeline is built');
        return built.runner.runBounded(source, options);
      },
    }));
    built.runner = await PipelineRunner.assemble(plan, deps, signal, declared);
    return built.runner;
  }

  /** The components of the plan around `declared`; `source` replaces the plan's (bounded runs). */
  private static async assemble(
    plan: PipelinePlan,
    deps: RunnerDependencies,
    signal: AbortSignal,
    declared: DeclaredResources,
    given?: Source,
  ): Promise<PipelineRunner> {
    const context = (path: string) => componentContext(plan, deps, signal, path, () => declared);
    const source = given ?? (await plan.source.spec.create(plan.source.config as never, context('source')));
    const stages = await Promise.all(
      plan.processors.map(async (p, i) => ({
        name: `processor[${i}]:${p.type}`,
        processor: await p.spec.create(p.config as never, context(p.path)),
      })),
    );
    const sinks = await Promise.all(
      Object.entries(plan.sinks).map(
        async ([name, s]) =>
          [name, await s.spec.create(s.config as never, context(s.path))] as [string, Sink],
      ),
    );
    return new PipelineRunner(plan, source, stages, sinks, deps, declared);
  }

  /**
   * Runs a bounded source to its end through fresh instances of this plan's processors and sinks
   * (resources in `options` standing in for declared ones): how a resource builds a view with the
   * same stage code as live changes. Rejects if the pipeline stops or fails first.
   */
  async runBounded(source: Source, options: BoundedRunOptions): Promise<BoundedRunResult> {
    if (!source.drained) throw new Error(`${options.label}: runBounded needs a bounded source`);
    let deadLetters = 0;
    const deps: RunnerDependencies = {
      ...this.deps,
      // A build's start, lanes and stop are the resource's to report: the run's own lines go to debug.
      logger: quieter(this.deps.logger.child({ run: options.label })),
      deadLetters: {
        write: async (letters) => {
          await this.deps.deadLetters.write(letters);
          deadLetters += letters.length;
        },
      },
    };
    const declared = this.declared.with(options.resources ?? {});
    const run = await PipelineRunner.assemble(this.plan, deps, this.abort.signal, declared, source);
    const stop = () => void run.stop();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    try {
      const records = await run.runToEnd();
      return { records, deadLetters };
    } finally {
      this.abort.signal.removeEventListener('abort', stop);
    }
  }

  /** Starts, waits for the bounded source's end, commits, stops; resolves with the records delivered. */
  private async runToEnd(): Promise<number> {
    const fatal = new Promise<never>((_, reject) => this.onFatal(reject));
    fatal.catch(() => undefined);
    try {
      await this.start();
      await Promise.race([this.source.drained!(), fatal]);
      if (this.abort.signal.aborted) throw new WorkAbandonedError('stopped before the end of its source');
      await this.committer.flush();
    } finally {
      await this.stop();
    }
    return this.delivered;
  }

  get sourceComponent(): Source {
    return this.source;
  }

  /** A resource the plan declares (commands that act on one, such as a rebuild). */
  resource<T>(type: ResourceType<T>, name: string): T {
    return this.declared.get(type, name);
  }

  /** Ready once its sinks started and the source owns at least one lane. */
  get ready(): boolean {
    return this.started && this.activeLanes.size > 0 && !this.fatalError;
  }

  /** Called once if the pipeline cannot go on (a bug, or a failure no retry can mend). */
  onFatal(listener: (error: Error) => void): void {
    this.fatalListeners.push(listener);
    if (this.fatalError) listener(this.fatalError);
  }

  async start(): Promise<void> {
    await this.declared.start();
    for (const [, sink] of this.sinks) await sink.start?.();
    await this.source.start(this.handler);
    this.started = true;
    this.log.info({}, 'Pipeline started.');
  }

  /** Stops fetching, lets in-flight batches finish and commit (within the shutdown bound), closes everything. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    const bound = this.plan.delivery.shutdownTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      // Sources that revoke on stop flush commits in onRevoked; the flush after covers the others.
      this.source
        .stop()
        .then(() => this.committer.flush())
        .then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), bound))),
    ]);
    clearTimeout(timer);
    if (timedOut)
      this.log.error(
        { shutdownTimeoutMs: bound },
        'In-flight batches did not finish within the shutdown bound; uncommitted work will be redelivered.',
      );
    for (const stage of this.stages) await stage.processor.close?.().catch(() => undefined);
    for (const [, sink] of this.sinks) await sink.close?.().catch(() => undefined);
    await this.declared.close();
    this.log.info({}, 'Pipeline stopped.');
  }

  private fail(error: Error): void {
    if (this.fatalError) return;
    this.fatalError = error;
    this.log.error({ err: error }, 'The pipeline cannot go on.');
    for (const listener of this.fatalListeners) listener(error);
  }

  private readonly handler: SourceHandler = {
    onAssigned: (lanes) => {
      for (const lane of lanes) this.activeLanes.add(lane);
      this.deps.metrics.rebalances.inc({ pipeline: this.name, event: 'assigned' }, lanes.length);
      this.deps.metrics.assignedLanes.set({ pipeline: this.name }, this.activeLanes.size);
      this.log.info({ lanes }, 'Lanes assigned.');
      return Promise.resolve();
    },
    onRevoked: async (lanes) => {
      // Work in a retry loop for these lanes is abandoned; a batch that is simply running
      // finishes and commits before the lanes go.
      for (const lane of lanes) this.activeLanes.delete(lane);
      this.deps.metrics.rebalances.inc({ pipeline: this.name, event: 'revoked' }, lanes.length);
      this.deps.metrics.assignedLanes.set({ pipeline: this.name }, this.activeLanes.size);
      await Promise.all(lanes.map((lane) => this.checkpointer.drained(lane)));
      await this.committer.flush(lanes);
      this.log.info({ lanes }, 'Lanes revoked after their in-flight work was committed.');
    },
    onBatch: (lane, records, next, control, end) => {
      if (end !== undefined && /^\d+$/.test(end) && /^\d+$/.test(next)) {
        this.deps.metrics.consumerLag.set({ pipeline: this.name, lane }, Number(BigInt(end) - BigInt(next)));
      }
      this.delivered += records.length;
      return this.runBatch(lane, records, next, control);
    },
  };

  /**
   * Runs records again through the processors and sinks (dead-letter replay), outside any lane:
   * nothing is committed. Records failing again become new dead letters. Resolves when durable.
   */
  async replay(records: SourceRecord[]): Promise<void> {
    const control: LaneControl = { heartbeat: () => Promise.resolve(), isActive: () => true };
    await this.runChunk('replay', records, control, () => !this.abort.signal.aborted);
  }

  private async runBatch(
    lane: string,
    records: SourceRecord[],
    next: string,
    control: LaneControl,
  ): Promise<void> {
    const ticket = this.checkpointer.begin(lane, next);
    const started = performance.now();
    const isActive = () => !this.abort.signal.aborted && this.activeLanes.has(lane) && control.isActive();
    try {
      this.deps.metrics.recordsIn.inc({ pipeline: this.name }, records.length);
      const size = this.plan.delivery.maxBatchRecords;
      for (let from = 0; from < records.length; from += size) {
        await this.runChunk(
          lane,
          from === 0 && records.length <= size ? records : records.slice(from, from + size),
          control,
          isActive,
        );
      }
      const position = this.checkpointer.complete(ticket);
      if (position !== undefined) this.committer.submit(lane, position);
      this.deps.metrics.batchDuration.observe({ pipeline: this.name }, (performance.now() - started) / 1000);
    } catch (error) {
      this.checkpointer.abandon(ticket);
      if (error instanceof WorkAbandonedError) {
        this.log.info(
          { lane, next },
          'Abandoned a batch of a lane that is no longer ours; it will be redelivered.',
        );
        return;
      }
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private retryHooks(stage: string, lane: string, control: LaneControl, isActive: () => boolean) {
    return {
      onRetry: (error: unknown, attempt: number, delayMs: number) => {
        this.deps.metrics.retries.inc({ pipeline: this.name, stage });
        this.log.warn(
          { stage, lane, attempt, delayMs, error: error instanceof Error ? error.message : String(error) },
          'Retrying after a transient failure.',
        );
      },
      keepAlive: () => control.heartbeat(),
      isActive,
    };
  }

  private async runChunk(
    lane: string,
    records: SourceRecord[],
    control: LaneControl,
    isActive: () => boolean,
  ): Promise<void> {
    const letters: DeadLetter[] = [];
    let items: InFlight[] = [];
    for (const record of records) {
      if (record.decodeError)
        letters.push(
          toDeadLetter(this.name, this.plan.deadLetter.topic, 'decode', record, record.decodeError, 1),
        );
      else items.push({ origin: record, record });
    }

    for (const stage of this.stages) {
      if (stage.processor.prepare && items.length) {
        const batch = items.map((item) => item.record);
        await retryTransient(
          () => stage.processor.prepare!(batch, this.processorContext),
          this.plan.delivery.retry,
          this.retryHooks(stage.name, lane, control, isActive),
        );
      }
      const next: InFlight[] = [];
      for (const item of items) {
        try {
          // Most stages are synchronous: only a promise, or a failure, costs an await.
          let produced: PipelineRecord[] | Promise<PipelineRecord[]>;
          try {
            produced = stage.processor.process(item.record, this.processorContext);
          } catch (error) {
            produced = this.retryProcessor(stage, item.record, error, lane, control, isActive);
          }
          if (produced instanceof Promise) {
            produced = await produced.catch((error: unknown) =>
              this.retryProcessor(stage, item.record, error, lane, control, isActive),
            );
          }
          if (produced.length === 1 && produced[0] === item.record) next.push(item);
          else for (const record of produced) next.push({ origin: item.origin, record });
        } catch (error) {
          if (error instanceof WorkAbandonedError) throw error;
          letters.push(
            toDeadLetter(this.name, this.plan.deadLetter.topic, stage.name, item.origin, error, 1),
          );
        }
      }
      items = next;
    }

    const bySink = new Map<string, SinkRecord[]>(this.sinks.map(([name]) => [name, []]));
    for (const { origin, record } of items) {
      const target = record.routing?.sink;
      if (target === undefined) {
        for (const list of bySink.values()) list.push({ ...record, origin });
      } else {
        const list = bySink.get(target);
        if (list) list.push({ ...record, origin });
        else
          letters.push(
            toDeadLetter(
              this.name,
              this.plan.deadLetter.topic,
              'route',
              origin,
              new Error(`no sink named '${target}' in this pipeline`),
              1,
            ),
          );
      }
    }

    await Promise.all(
      this.sinks.map(async ([name, sink]) => {
        const batch = bySink.get(name)!;
        if (!batch.length) return;
        const failures = await this.writeToSink(name, sink, batch, lane, control, isActive);
        const failedIndexes = new Set<number>();
        for (const failure of failures) {
          failedIndexes.add(failure.index);
          letters.push(
            toDeadLetter(
              this.name,
              this.plan.deadLetter.topic,
              `sink:${name}`,
              batch[failure.index]!.origin,
              failure.error,
              1,
            ),
          );
        }
        this.deps.metrics.recordsOut.inc(
          { pipeline: this.name, sink: name },
          batch.length - failedIndexes.size,
        );
      }),
    );

    if (letters.length) {
      await retryTransient(
        () => this.deps.deadLetters.write(letters),
        this.plan.delivery.retry,
        this.retryHooks('dead-letter', lane, control, isActive),
      );
      for (const letter of letters)
        this.deps.metrics.deadLetters.inc({ pipeline: this.name, stage: letter.stage });
      this.log.warn(
        {
          lane,
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

  /** A transient failure of a stage is retried (forever, with backoff); any other is rethrown for the dead-letter path. */
  private retryProcessor(
    stage: Stage,
    record: PipelineRecord,
    error: unknown,
    lane: string,
    control: LaneControl,
    isActive: () => boolean,
  ): Promise<PipelineRecord[]> {
    if (!isRetryable(error)) return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    return retryTransient(
      () => Promise.resolve(stage.processor.process(record, this.processorContext)),
      this.plan.delivery.retry,
      this.retryHooks(stage.name, lane, control, isActive),
      error,
    );
  }

  /** Writes a batch; a batch-level permanent failure is narrowed down to the records that cause it. */
  private async writeToSink(
    name: string,
    sink: Sink,
    batch: SinkRecord[],
    lane: string,
    control: LaneControl,
    isActive: () => boolean,
  ): Promise<WriteFailure[]> {
    const hooks = this.retryHooks(`sink:${name}`, lane, control, isActive);
    const timed = async (records: SinkRecord[]) => {
      const end = this.deps.metrics.sinkWriteDuration.startTimer({ pipeline: this.name, sink: name });
      try {
        return await sink.write(records);
      } finally {
        end();
      }
    };
    try {
      return (await retryTransient(() => timed(batch), this.plan.delivery.retry, hooks)).failed;
    } catch (error) {
      if (error instanceof WorkAbandonedError || batch.length === 1) {
        if (error instanceof WorkAbandonedError) throw error;
        return [{ index: 0, error: error instanceof Error ? error : new Error(String(error)) }];
      }
      this.log.warn(
        { sink: name, lane, error: (error as Error).message },
        'A batch write failed permanently; writing its records one by one to find the bad ones.',
      );
      const failures: WriteFailure[] = [];
      for (let index = 0; index < batch.length; index++) {
        const [failure] = await this.writeToSink(name, sink, [batch[index]!], lane, control, isActive);
        if (failure) failures.push({ index, error: failure.error });
      }
      return failures;
    }
  }
}

/** The context a component of `plan` gets: its logger, the endpoints, the client pool and the declared resources. */
function componentContext(
  plan: PipelinePlan,
  deps: RunnerDependencies,
  signal: AbortSignal,
  path: string,
  declared: () => DeclaredResources,
): ComponentContext {
  return {
    pipeline: plan.name,
    logger: deps.logger.child({ pipeline: plan.name, component: path }),
    signal,
    endpoints: deps.endpoints,
    resources: deps.resources,
    resource: (type, name) => declared().get(type, name),
    delivery: plan.delivery,
  };
}

/** The same logger with info lines at debug level. */
function quieter(logger: Logger): Logger {
  return { ...logger, info: logger.debug.bind(logger), child: (fields) => quieter(logger.child(fields)) };
}
