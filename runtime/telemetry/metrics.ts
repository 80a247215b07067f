/** The standard metrics every pipeline emits; counted by the runtime, never by components. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class PipelineMetrics {
  readonly registry = new Registry();
  readonly recordsIn = new Counter({
    name: 'tributary_records_in_total',
    help: 'Records delivered by the source.',
    labelNames: ['pipeline'],
    registers: [this.registry],
  });
  readonly recordsOut = new Counter({
    name: 'tributary_records_out_total',
    help: 'Records written durably to a sink.',
    labelNames: ['pipeline', 'sink'],
    registers: [this.registry],
  });
  readonly batchDuration = new Histogram({
    name: 'tributary_batch_duration_seconds',
    help: 'Time from a batch arriving to its commit.',
    labelNames: ['pipeline'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly sinkWriteDuration = new Histogram({
    name: 'tributary_sink_write_duration_seconds',
    help: 'Time of one sink write call.',
    labelNames: ['pipeline', 'sink'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'tributary_retries_total',
    help: 'Transient failures retried.',
    labelNames: ['pipeline', 'stage'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'tributary_dead_letters_total',
    help: 'Records sent to the dead-letter topic.',
    labelNames: ['pipeline', 'stage'],
    registers: [this.registry],
  });
  readonly rebalances = new Counter({
    name: 'tributary_rebalances_total',
    help: 'Lane assignments and revocations seen by this worker.',
    labelNames: ['pipeline', 'event'],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'tributary_consumer_lag',
    help: 'Records between the last delivered position and the end of the lane.',
    labelNames: ['pipeline', 'lane'],
    registers: [this.registry],
  });
  readonly offsetGapRecords = new Gauge({
    name: 'tributary_offset_gap_records',
    help: 'Records deleted from a lane before they were processed (its committed position is below the log start); the lane is refused until an operator acts.',
    labelNames: ['pipeline', 'lane'],
    registers: [this.registry],
  });
  readonly assignedLanes = new Gauge({
    name: 'tributary_assigned_lanes',
    help: 'Lanes (partitions) this worker currently owns.',
    labelNames: ['pipeline'],
    registers: [this.registry],
  });

  /** Read at scrape time from each pipeline's probes (`observe`). */
  private readonly probes: (() => PipelineProbe)[] = [];
  readonly consumerLagSeconds = new Gauge({
    name: 'tributary_consumer_lag_seconds',
    help: 'Age in seconds of the oldest record of the lane not yet processed (0 when caught up), per lane this worker owns.',
    labelNames: ['pipeline', 'lane'],
    registers: [this.registry],
    collect: () => this.collectProbes(),
  });
  readonly pipelineReady = new Gauge({
    name: 'tributary_pipeline_ready',
    help: '1 when the pipeline is ready (lanes assigned, sinks and sources working), else 0; as /readyz.',
    labelNames: ['pipeline'],
    registers: [this.registry],
  });
  readonly pipelinePaused = new Gauge({
    name: 'tributary_pipeline_paused',
    help: '1 while an operator paused the pipeline through the admin API (it consumes nothing), else 0.',
    labelNames: ['pipeline'],
    registers: [this.registry],
  });
  readonly viewBuildAgeSeconds = new Gauge({
    name: 'tributary_view_build_age_seconds',
    help: 'Seconds since a rebuild (UCR table) or reindex (search index) of a view began, while it runs.',
    labelNames: ['pipeline', 'view'],
    registers: [this.registry],
  });

  /** Registers what a pipeline reports at each scrape: readiness, pause, lag in seconds per lane. */
  observe(probe: () => PipelineProbe): void {
    this.probes.push(probe);
  }

  private collectProbes(): void {
    this.consumerLagSeconds.reset();
    this.viewBuildAgeSeconds.reset();
    for (const probe of this.probes) {
      const { pipeline, ready, paused, lagSeconds, buildAgeSeconds } = probe();
      for (const [view, seconds] of buildAgeSeconds ?? [])
        this.viewBuildAgeSeconds.set({ pipeline, view }, seconds);
      this.pipelineReady.set({ pipeline }, ready ? 1 : 0);
      this.pipelinePaused.set({ pipeline }, paused ? 1 : 0);
      for (const [lane, seconds] of lagSeconds) this.consumerLagSeconds.set({ pipeline, lane }, seconds);
    }
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}

export interface PipelineProbe {
  pipeline: string;
  ready: boolean;
  paused: boolean;
  lagSeconds: ReadonlyMap<string, number>;
  /** Seconds since each view this worker is building began (absent: none). */
  buildAgeSeconds?: ReadonlyMap<string, number>;
}
