/**
 * Runs one pipeline plan: source batches through the processor chain into the sinks (chunk-runner.ts),
 * retries for transient failures, commits of the highest contiguous durable position per lane, and
 * readiness (readiness.ts). Knows nothing of any particular source or sink.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tracer } from '@opentelemetry/api';
import type {
  BoundedRunOptions,
  BoundedRunResult,
  ComponentContext,
  DeadLetterWriter,
  Endpoints,
  LaneControl,
  LaneRefusal,
  Logger,
  Resources,
  ResourceType,
  Sink,
  Source,
  SourceHandler,
  SourceRecord,
} from '../contract/index.js';
import type { PipelinePlan } from '../config/load-pipeline.js';
import type { PipelineMetrics } from '../telemetry/metrics.js';
import { Checkpointer } from './checkpointer.js';
import { LagClock } from './lag-clock.js';
import { ChunkRunner, type LaneWork, type Stage } from './chunk-runner.js';
import { DeclaredResources } from './declared-resources.js';
import { keyGroups } from './key-groups.js';
import { LaneCommitter } from './lane-committer.js';
import { PauseGate } from './pause-gate.js';
import { ReadinessTracker } from './readiness.js';
import { startRecordSpans } from './record-spans.js';
import { retryTransient, WorkAbandonedError } from './retry.js';

export interface RunnerDependencies {
  logger: Logger;
  metrics: PipelineMetrics;
  resources: Resources;
  deadLetters: DeadLetterWriter;
  /** Where the outside systems are, read once by the CLI; every component's context carries them. */
  endpoints: Endpoints;
  /** Set when tracing is on (runtime/telemetry/tracing.ts): a span per record. */
  tracer?: Tracer;
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
  private readonly gate = new PauseGate();
  private readonly lagClock = new LagClock();
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
    this.chunks = new ChunkRunner(plan, stages, sinks, deps, this.log, this.readiness);
    deps.metrics.observe(() => ({
      pipeline: this.name,
      ready: this.ready,
      paused: this.paused,
      lagSeconds: this.lagClock.read(Date.now(), this.activeLanes),
      buildAgeSeconds: new Map(
        this.declared.builds().map(({ view, startedAt }) => [view, (Date.now() - startedAt) / 1000]),
      ),
    }));
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

  /** Ready once its sinks started and the source owns at least one lane, while nothing stands in the way. */
  get ready(): boolean {
    return this.notReadyReasons().length === 0;
  }

  get paused(): boolean {
    return this.gate.paused;
  }

  /** Stops consuming every lane (no batch begins) while keeping the lanes and the group membership. */
  pause(): void {
    if (!this.gate.paused) this.log.info({}, 'Paused: no new batch begins until resumed.');
    this.gate.pause();
  }

  resume(): void {
    if (this.gate.paused) this.log.info({}, 'Resumed.');
    this.gate.resume();
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
    await this.declared.start();
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
      // A lane (re)assigned starts its lag clock afresh: what it measured before is another owner's now.
      for (const lane of lanes) this.lagClock.forget(lane);
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
      this.delivered += records.length;
      return this.gatedBatch(lane, records, next, control, end);
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

  /** Waits while paused (dropping the batch if its lane goes meanwhile), then runs it and times the lane's lag. */
  private async gatedBatch(
    lane: string,
    records: SourceRecord[],
    next: string,
    control: LaneControl,
    end: string | undefined,
  ): Promise<void> {
    if (records.length) this.lagClock.arrived(lane, records[0]!.timestamp);
    // Only a paused gate costs an await: an unpaused batch starts in the same tick it arrived.
    if (this.gate.paused && !(await this.gate.pass(() => this.laneWanted(lane, control)))) return;
    const spans = this.deps.tracer
      ? startRecordSpans(this.deps.tracer, this.name, lane, records, {
          stages: this.stages.map((stage) => stage.name),
          sinks: this.sinks.map(([name]) => name),
        })
      : undefined;
    await this.runBatch(lane, records, next, control);
    spans?.end(this.fatalError);
    if (records.length)
      this.lagClock.processed(lane, records.at(-1)!.timestamp, end === undefined || end === next);
  }

  /** Whether work of this lane should go on: the pipeline runs, and the lane is still ours. */
  private laneWanted(lane: string, control: LaneControl): boolean {
    return !this.abort.signal.aborted && this.activeLanes.has(lane) && control.isActive();
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
      isActive: () => this.laneWanted(lane, control),
    };
    try {
      await this.untilSinksReady(work);
      this.deps.metrics.recordsIn.inc({ pipeline: this.name }, records.length);
      const parallelism = this.plan.parallelism;
      if (parallelism) await this.runKeyGroups(work, records, parallelism.maxInFlight);
      else await this.runChunks(work, records);
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

  /** The records in chunks of `maxBatchRecords`, one after another. */
  private async runChunks(work: LaneWork, records: SourceRecord[]): Promise<void> {
    const size = this.plan.delivery.maxBatchRecords;
    for (let from = 0; from < records.length; from += size) {
      const chunk = from === 0 && records.length <= size ? records : records.slice(from, from + size);
      await this.chunks.run(work, chunk);
    }
  }

  /**
   * `parallelism: { by: key }`: the batch's keys spread over at most `groups` groups run at the
   * same time, each group's records in order, so a key is never processed out of order. The batch
   * is durable once every group is; a group that fails leaves the others to settle first, so no
   * work of an abandoned batch is still running when the lane goes.
   */
  private async runKeyGroups(work: LaneWork, records: SourceRecord[], groups: number): Promise<void> {
    const outcomes = await Promise.allSettled(
      keyGroups(records, groups).map((group) => this.runChunks(work, group)),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
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
