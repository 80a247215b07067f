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

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
