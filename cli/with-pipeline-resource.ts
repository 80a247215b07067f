/**
 * What `rebuild` and `reindex` share: one pipeline file's runner, created but not started, so a
 * declared resource (a UCR catalog, the search indices) builds a view through the pipeline's own
 * stages and sinks; everything is closed after the work.
 */
import type { PipelinePlan } from '../runtime/config/index.js';
import { BadConfigError, type ResourceType } from '../runtime/contract/index.js';
import { PipelineRunner } from '../runtime/engine/pipeline-runner.js';
import { ResourcePool } from '../runtime/engine/resources.js';
import type { Registry } from '../runtime/registry/index.js';
import { createLogger } from '../runtime/telemetry/logger.js';
import { PipelineMetrics } from '../runtime/telemetry/metrics.js';
import { loadPlans } from './load-plans.js';
import { PipelineHost } from './pipeline-host.js';

/** Runs `work` with the one resource of `type` the file declares; a file with none or several is a config error. */
export async function withPipelineResource<T, R>(
  file: string,
  registry: Registry,
  type: ResourceType<T>,
  work: (resource: T, plan: PipelinePlan) => Promise<R>,
): Promise<R> {
  const [plan] = (await loadPlans([file], registry)) as [PipelinePlan];
  const declared = Object.entries(plan.resources).filter(([, r]) => r.type === type.name);
  if (declared.length !== 1)
    throw new BadConfigError(file, `expected one ${type.name} resource, found ${declared.length}`);
  const [name] = declared[0]!;
  const resources = new ResourcePool();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', destination: process.stderr });
  let runner: PipelineRunner | undefined;
  try {
    const host = new PipelineHost(logger, { defaultMetrics: false });
    runner = await PipelineRunner.create(
      plan,
      {
        logger,
        metrics: new PipelineMetrics(),
        resources,
        deadLetters: host.deadLetterWriterFor(plan, resources),
        endpoints: host.endpoints,
      },
      new AbortController().signal,
    );
    return await work(runner.resource(type, name), plan);
  } finally {
    await runner?.stop().catch(() => undefined);
    await resources.close();
  }
}
