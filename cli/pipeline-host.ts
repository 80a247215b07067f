/**
 * Runs several pipelines in one process, each its own consumer group: builds their components,
 * wires the dead-letter writer, serves health and metrics, and stops them all on request.
 */
import type { Tracer } from '@opentelemetry/api';
import { defaultKafkaLibrary, kafkaClient, kafkaProducer } from '../connectors/kafka/kafka-resources.js';
import { produceDeadLetters } from '../connectors/kafka/kafka-dead-letters.js';
import { ensureDeadLetterTable, insertDeadLetters } from '../connectors/postgres/postgres-dead-letters.js';
import { postgresPool } from '../connectors/postgres/postgres-pool.js';
import { readEndpoints } from '../connectors/endpoints.js';
import type { PipelinePlan } from '../runtime/config/index.js';
import type { DeadLetter, DeadLetterWriter, Endpoints, Logger } from '../runtime/contract/index.js';
import { PipelineRunner } from '../runtime/engine/pipeline-runner.js';
import { ResourcePool } from '../runtime/engine/resources.js';
import { PipelineMetrics } from '../runtime/telemetry/metrics.js';
import { ensureTopics, writtenTopics } from './topics.js';

export class PipelineHost {
  readonly resources = new ResourcePool();
  readonly metrics: PipelineMetrics;
  /** Read once here (or given): every component of every pipeline gets these. */
  readonly endpoints: Endpoints;
  private readonly runners: PipelineRunner[] = [];
  private readonly abort = new AbortController();
  private fatal: Error | undefined;
  private readonly fatalListeners: ((error: Error) => void)[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly options: { defaultMetrics?: boolean; endpoints?: Endpoints; tracer?: Tracer } = {},
  ) {
    this.metrics = new PipelineMetrics({ defaultMetrics: options.defaultMetrics ?? true });
    this.endpoints = options.endpoints ?? readEndpoints();
  }

  /** Ensures the topics pipelines write and the dead-letter table, then starts every pipeline. */
  async start(plans: PipelinePlan[]): Promise<void> {
    const endpoints = this.endpoints;
    const topics = plans.flatMap(writtenTopics);
    if (topics.length) {
      const admin = await (
        await kafkaClient(this.resources, defaultKafkaLibrary, [...endpoints.KAFKA_BROKERS])
      ).admin();
      try {
        for (const check of await ensureTopics(admin, topics)) {
          if (check.status === 'created') this.logger.info({ topic: check.topic }, 'Created topic.');
          if (check.status === 'mismatch')
            this.logger.warn(
              { topic: check.topic, detail: check.detail },
              'Topic differs from its declaration.',
            );
        }
      } finally {
        await admin.close();
      }
    }
    if (plans.some((p) => p.deadLetter.table))
      await ensureDeadLetterTable(await postgresPool(this.resources, endpoints.DATABASE_URL));

    for (const plan of plans) {
      const runner = await PipelineRunner.create(
        plan,
        {
          logger: this.logger,
          metrics: this.metrics,
          resources: this.resources,
          deadLetters: this.deadLetterWriterFor(plan, this.resources),
          endpoints,
          ...(this.options.tracer ? { tracer: this.options.tracer } : {}),
        },
        this.abort.signal,
      );
      runner.onFatal((error) => {
        this.fatal ??= error;
        for (const listener of this.fatalListeners) listener(error);
      });
      this.runners.push(runner);
    }
    for (const [i, runner] of this.runners.entries()) {
      this.announceJoin(plans[i]!, endpoints.KAFKA_BROKERS);
      await runner.start();
      this.watchAssignment(plans[i]!, runner);
    }
  }

  /** Says which group a pipeline joins, so a start that waits on the broker explains itself. */
  private announceJoin(plan: PipelinePlan, brokers: readonly string[]): void {
    const topics = plan.source.spec.topics?.(plan.source.config as never, plan.name).map((t) => t.topic);
    if (!topics) return;
    const group = plan.source.spec.group?.(plan.source.config as never, plan.name) ?? plan.name;
    this.logger.info(
      { pipeline: plan.name, group, topics, brokers: brokers.join(',') },
      `Joining consumer group ${group} for ${topics.join(', ')}.`,
    );
  }

  /**
   * While a started pipeline owns no partition (a rebalance in progress, or other members hold
   * them all), says so after a few seconds and then every half minute, instead of staying silent.
   * It keeps watching after partitions arrive: a later rebalance can take them all away again.
   */
  private watchAssignment(
    plan: PipelinePlan,
    runner: PipelineRunner,
    firstMs = 5000,
    everyMs = 30_000,
  ): void {
    if (!plan.source.spec.topics) return;
    let waitingSince: number | undefined = Date.now();
    let saidAt: number | undefined;
    const check = () => {
      if (this.abort.signal.aborted || this.fatal) return;
      const now = Date.now();
      if (runner.ready) {
        waitingSince = saidAt = undefined;
      } else {
        waitingSince ??= now;
        if (now - waitingSince >= firstMs && (saidAt === undefined || now - saidAt >= everyMs)) {
          saidAt = now;
          this.logger.info(
            { pipeline: plan.name, waitedSeconds: Math.round((now - waitingSince) / 1000) },
            'Waiting for partitions: none assigned now (a rebalance is in progress, or the other members of the group hold every partition).',
          );
        }
      }
      setTimeout(check, 1000).unref();
    };
    setTimeout(check, firstMs).unref();
  }

  /** The running pipeline of this name (admin API: pause, resume, this worker's view). */
  runner(name: string): PipelineRunner | undefined {
    return this.runners.find((r) => r.name === name);
  }

  onFatal(listener: (error: Error) => void): void {
    this.fatalListeners.push(listener);
  }

  get healthy(): boolean {
    return !this.fatal;
  }

  get ready(): boolean {
    return this.runners.length > 0 && this.runners.every((r) => r.ready);
  }

  /** Why the pipelines are not ready, each reason prefixed with its pipeline's name. */
  notReadyReasons(): string[] {
    if (this.runners.length === 0) return ['starting'];
    return this.runners.flatMap((r) => r.notReadyReasons().map((reason) => `${r.name}: ${reason}`));
  }

  /** Stops every pipeline (each within its shutdown bound) and closes shared clients. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.resources.close();
  }

  /** Dead letters go to the pipeline's dead-letter topic (when it reads the log) and to the table. */
  deadLetterWriterFor(plan: PipelinePlan, resources: ResourcePool): DeadLetterWriter {
    const endpoints = this.endpoints;
    const onLog = plan.source.spec.topics !== undefined;
    return {
      write: async (letters: DeadLetter[]) => {
        if (onLog)
          await produceDeadLetters(
            await kafkaProducer(resources, defaultKafkaLibrary, [...endpoints.KAFKA_BROKERS]),
            letters,
          );
        if (plan.deadLetter.table || !onLog)
          await insertDeadLetters(await postgresPool(resources, endpoints.DATABASE_URL), letters);
      },
    };
  }
}
