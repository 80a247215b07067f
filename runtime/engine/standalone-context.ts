/**
 * A component context outside a pipeline run, for benchmarks, tests and one-off commands that
 * build a single component: no declared resources, a silent logger unless given one.
 */
import {
  BadConfigError,
  type ComponentContext,
  type DeliveryHints,
  type Endpoints,
  type Logger,
  type Resources,
} from '../contract/index.js';
import { silentLogger } from '../telemetry/logger.js';

export interface StandaloneContextOptions {
  pipeline: string;
  endpoints: Endpoints;
  resources: Resources;
  logger?: Logger;
  signal?: AbortSignal;
  delivery?: Partial<DeliveryHints>;
}

export function standaloneContext(options: StandaloneContextOptions): ComponentContext {
  return {
    pipeline: options.pipeline,
    logger: options.logger ?? silentLogger,
    signal: options.signal ?? new AbortController().signal,
    endpoints: options.endpoints,
    resources: options.resources,
    resource: (_type, name) => {
      throw new BadConfigError(name, `no resource named '${name}': this component runs outside a pipeline`);
    },
    delivery: {
      maxBatchRecords: 500,
      maxBatchBytes: 4 << 20,
      maxWaitMs: 100,
      maxInFlight: 4,
      ...options.delivery,
    },
  };
}
