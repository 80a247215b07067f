/**
 * Runs one pipeline plan: source batches through the processor chain into the sinks (chunk-runner.ts),
 * retries for transient failures, commits of the highest contiguous durable position per lane, and
 * readiness (readiness.ts). Knows nothing of any particular source or sink.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ComponentContext,
  DeadLetterWriter,
  LaneControl,
  LaneRefusal,
  Logger,
  Resources,
  Sink,
  Source,
  SourceHandler,
  SourceRecord,
} from '../contract/index.js';
import type { PipelinePlan } from '../config/load-pipeline.js';
import type { PipelineMetrics } from '../telemetry/metrics.js';
import { Checkpointer } from './checkpointer.js';
import { ChunkRunner, type LaneWork, type Stage } from './chunk-runner.js';
import { LaneCommitter } from './lane-committer.js';
import { ReadinessTracker } from './readiness.js';
import { retryTransient, WorkAbandonedError } from './retry.js';

export interface RunnerDependencies {
  logger: Logger;
  metrics: PipelineMetrics;
  resources: Resources;
  deadLetters: DeadLetterWriter;
}

/** How often a pipeline that is not ready says why in the log. */
const notReadyLogIntervalMs = 60_000;
/** How often a lane held back by a sink that is not ready looks again. */
const notReadyPollMs = 1_000;

export class PipelineRunner {
  readonly name: string;
  private readonly checkpointer = new Checkpointer();
  private readonly readiness = new ReadinessTracker();
  /**
   * Commits run beside the next batches. One that cannot reach the source is retried; if the lane
   * goes meanwhile, its next owner starts from the previous commit: at least once, never a gap.
   */
  private readonly committer = new LaneCommitter((lane, position) => this.commit(lane, position));
  private readonly activeLanes = new Set<string>();
  private readonly abort = new AbortController();
  private stopping: Promise<void> | undefined;
  private started = false;
  private fatalError: Error | undefined;
  private readonly fatalListeners: ((error: Error) => void)[] = [];
  private readonly log: Logger;
  private readonly chunks: ChunkRunner;
  private readinessTimer: NodeJS.Timeout | undefined;
  /** When the wait for a sink that is not ready was last logged (one line a minute for all lanes). */
  private notReadyLoggedAt = 0;

  private constructor(
    private readonly plan: PipelinePlan,
    private readonly source: Source,
    private readonly stages: Stage[],
    private readonly sinks: [string, Sink][],
    private readonly deps: RunnerDependencies,
  ) {
    this.name = plan.name;
    this.log = deps.logger.child({ pipeline: plan.name });
    this.chunks = new ChunkRunner(plan, stages, sinks, deps, this.log, this.readiness);
  }

  /** Builds every component of the plan through its spec's factory. */
  static async create(
    plan: PipelinePlan,
    deps: RunnerDependencies,
    signal: AbortSignal,
  ): Promise<PipelineRunner> {
    const context = (path: string): ComponentContext => ({
      pipeline: plan.name,
      logger: deps.logger.child({ pipeline: plan.name, component: path }),
      signal,
      resources: deps.resources,
      delivery: plan.delivery,
    });
    const source = await plan.source.spec.create(plan.source.config as never, context('source'));
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
    return new PipelineRunner(plan, source, stages, sinks, deps);
  }

  get sourceComponent(): Source {
    return this.source;
  }

  /** Ready once its sinks started and the source owns at least one lane, while nothing stands in the way. */
  get ready(): boolean {
    return this.notReadyReasons().length === 0;
  }

  /** Why the pipeline is not ready (empty when it is): starting, failed, no lanes, a failing dependency… */
  notReadyReasons(): string[] {
    if (this.fatalError) return [`failed: ${this.fatalError.message}`];
    if (!this.started) return ['starting'];
    this.refreshSinkBlocks();
    const reasons = this.readiness.reasons();
    if (this.activeLanes.size === 0) reasons.unshift('no lanes assigned to this worker (yet)');
    return reasons;
  }

  /** Called once if the pipeline cannot go on (a bug, or a failure no retry can mend). */
  onFatal(listener: (error: Error) => void): void {
    this.fatalListeners.push(listener);
    if (this.fatalError) listener(this.fatalError);
  }

  async start(): Promise<void> {
    for (const [, sink] of this.sinks) await sink.start?.();
    await this.source.start(this.handler);
    this.started = true;
    this.readinessTimer = setInterval(() => this.logWhyNotReady(), notReadyLogIntervalMs);
    this.readinessTimer.unref();
    this.log.info({}, 'Pipeline started.');
  }

  /** Stops fetching, lets in-flight batches finish and commit (within the shutdown bound), closes everything. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    clearInterval(this.readinessTimer);
    const bound = this.plan.delivery.shutdownTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      // Sources that revoke on stop flush commits in onRevoked; the flush after covers the others.
      // A source that fails to stop cleanly (a group it cannot leave) has drained by then: say so,
      // and go on closing, so a SIGTERM still ends in an orderly exit.
      this.source
        .stop()
        .catch((error: unknown) =>
          this.log.warn({ err: error }, 'The source did not stop cleanly; closing the rest anyway.'),
        )
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
      for (const lane of lanes) {
        this.activeLanes.delete(lane);
        this.readiness.releaseLane(lane);
        this.deps.metrics.offsetGapRecords.remove({ pipeline: this.name, lane });
      }
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
      return this.runBatch(lane, records, next, control);
    },
    onLaneRefused: (lane, refusal) => this.refuseLane(lane, refusal),
  };

  private refuseLane(lane: string, refusal: LaneRefusal): void {
    this.readiness.refuseLane(lane, refusal.message);
    if (refusal.gapRecords !== undefined)
      this.deps.metrics.offsetGapRecords.set({ pipeline: this.name, lane }, refusal.gapRecords);
    this.log.error({ lane, reason: refusal.reason, gapRecords: refusal.gapRecords }, refusal.message);
  }

  /**
   * Runs records again through the processors and sinks (dead-letter replay), outside any lane:
   * nothing is committed. Records failing again become new dead letters. Resolves when durable.
   */
  async replay(records: SourceRecord[]): Promise<void> {
    const control: LaneControl = { heartbeat: () => Promise.resolve(), isActive: () => true };
    await this.chunks.run({ lane: 'replay', control, isActive: () => !this.abort.signal.aborted }, records);
  }

  private async runBatch(
    lane: string,
    records: SourceRecord[],
    next: string,
    control: LaneControl,
  ): Promise<void> {
    const ticket = this.checkpointer.begin(lane, next);
    const started = performance.now();
    const work: LaneWork = {
      lane,
      control,
      isActive: () => !this.abort.signal.aborted && this.activeLanes.has(lane) && control.isActive(),
    };
    try {
      await this.untilSinksReady(work);
      this.deps.metrics.recordsIn.inc({ pipeline: this.name }, records.length);
      const size = this.plan.delivery.maxBatchRecords;
      for (let from = 0; from < records.length; from += size) {
        const chunk = from === 0 && records.length <= size ? records : records.slice(from, from + size);
        await this.chunks.run(work, chunk);
      }
      const position = this.checkpointer.complete(ticket);
      if (position !== undefined) this.committer.submit(lane, position);
      this.deps.metrics.batchDuration.observe({ pipeline: this.name }, (performance.now() - started) / 1000);
    } catch (error) {
      this.checkpointer.abandon(ticket);
      // Once stopping, whatever interrupted the batch (a client closed under it after the shutdown
      // bound) is not the pipeline failing: nothing was committed, the batch is redelivered.
      if (error instanceof WorkAbandonedError || this.abort.signal.aborted) {
        this.log.info(
          { lane, next },
          'Abandoned a batch of a lane that is no longer ours; it will be redelivered.',
        );
        return;
      }
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Asks every sink whether it can take writes, and records the answers for readiness. */
  private refreshSinkBlocks(): string[] {
    const reasons: string[] = [];
    for (const [name, sink] of this.sinks) {
      if (!sink.notReady) continue;
      const reason = sink.notReady();
      this.readiness.block(`sink '${name}'`, reason);
      if (reason !== undefined) reasons.push(`sink '${name}': ${reason}`);
    }
    return reasons;
  }

  /**
   * While a sink says it cannot take writes, holds the lane's batch: nothing is processed and
   * nothing committed, so nothing is consumed for nothing. Says why at once, then every minute.
   */
  private async untilSinksReady(work: LaneWork): Promise<void> {
    for (let reasons = this.refreshSinkBlocks(); reasons.length; reasons = this.refreshSinkBlocks()) {
      if (Date.now() - this.notReadyLoggedAt >= notReadyLogIntervalMs) {
        this.notReadyLoggedAt = Date.now();
        this.log.warn({ lane: work.lane, reasons }, 'Not consuming: a sink cannot take writes yet.');
      }
      await sleep(notReadyPollMs);
      await work.control.heartbeat().catch(() => undefined);
      if (!work.isActive()) throw new WorkAbandonedError('stopped while waiting for a sink to be ready');
    }
  }

  /** The minute's line about a pipeline that is not ready for a reason an operator should see. */
  private logWhyNotReady(): void {
    this.refreshSinkBlocks();
    const reasons = this.readiness.reasons();
    if (reasons.length && Date.now() - this.notReadyLoggedAt >= notReadyLogIntervalMs / 2) {
      this.notReadyLoggedAt = Date.now();
      this.log.warn({ reasons }, 'The pipeline is not ready.');
    }
  }

  /** Commits a lane's position, retrying transient failures while the lane is ours. */
  private async commit(lane: string, position: string): Promise<void> {
    const noControl: LaneControl = { heartbeat: () => Promise.resolve(), isActive: () => true };
    const work: LaneWork = {
      lane,
      control: noControl,
      isActive: () => this.activeLanes.has(lane) && !this.abort.signal.aborted,
    };
    try {
      await retryTransient(
        () => this.source.commit(lane, position),
        this.plan.delivery.retry,
        this.chunks.hooks('commits to the source', 'commit', work, this.source.probe?.bind(this.source)),
      );
    } catch (error) {
      // Never fatal: a lost commit only means the next commit, or the next owner of the lane, covers it.
      this.log.warn(
        { lane, position, error: error instanceof Error ? error.message : String(error) },
        'A commit did not go through; the next commit (or the next owner of the lane) covers it.',
      );
    }
  }
}
