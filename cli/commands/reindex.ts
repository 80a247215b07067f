/**
 * Search index administration: `tributary reindex <pipeline file> <index>` rebuilds one logical
 * index of the pipeline's search-index resource beside its live physical index (backfilled through
 * the pipeline's own stage and sink) and swaps the alias to it; the old index goes after the grace
 * period. (`tributary status` asks the resource's spec for the indices and their states.)
 */
import { searchIndexNames, type SearchIndexName } from '../../commcare/search/index.js';
import { searchIndexTargetsType } from '../../connectors/search/index-targets.js';
import { SearchIndexResource } from '../../connectors/search/search-index-resource.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { PipelineRunner } from '../../runtime/engine/pipeline-runner.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { PipelineMetrics } from '../../runtime/telemetry/metrics.js';
import { UsageError, type CommandInput } from '../command.js';
import { loadPlans } from '../load-plans.js';
import { PipelineHost } from '../pipeline-host.js';

/** Runs `tributary reindex <pipeline file> <index>`; resolves to the exit code. */
export async function reindexCommand({ positionals, registry, out, err }: CommandInput): Promise<number> {
  const [file, index] = positionals as [string, string];
  if (!(searchIndexNames as readonly string[]).includes(index))
    throw new UsageError(`expected one of ${searchIndexNames.join(', ')} as the index, got '${index}'`);
  const [plan] = (await loadPlans([file], registry)) as [PipelinePlan];
  const declared = Object.entries(plan.resources).filter(([, r]) => r.type === searchIndexTargetsType.name);
  if (declared.length !== 1) {
    err(`${file}: expected one ${searchIndexTargetsType.name} resource, found ${declared.length}`);
    return 2;
  }
  const [name] = declared[0]!;
  const resources = new ResourcePool();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', destination: process.stderr });
  let runner: PipelineRunner | undefined;
  try {
    // Not started: the runner gives the resource the pipeline's own stage and sink to build with.
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
    const catalog = runner.resource(searchIndexTargetsType, name);
    if (!(catalog instanceof SearchIndexResource)) throw new Error(`${name} cannot rebuild its indices`);
    const started = Date.now();
    await catalog.rebuild(index as SearchIndexName);
    out(`Rebuilt ${index} of pipeline ${plan.name} and swapped its alias (${Date.now() - started} ms).`);
    return 0;
  } catch (error) {
    err(`reindex ${index}: ${(error as Error).message}`);
    return 1;
  } finally {
    await runner?.stop().catch(() => undefined);
    await resources.close();
  }
}
