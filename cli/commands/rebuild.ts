/**
 * UCR table administration: `tributary rebuild <pipeline file> <domain>/<table_id>` rebuilds a
 * data source of the pipeline's ucr-catalog beside its live table and swaps the view to it.
 * (`tributary status` asks the ucr-catalog resource's spec for the tables and their states.)
 */
import { UcrCatalogResource } from '../../connectors/ucr/ucr-catalog-resource.js';
import { ucrPostgresCatalogType } from '../../connectors/ucr/ucr-postgres-catalog.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { PipelineRunner } from '../../runtime/engine/pipeline-runner.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { PipelineMetrics } from '../../runtime/telemetry/metrics.js';
import { UsageError, type CommandInput } from '../command.js';
import { loadPlans } from '../load-plans.js';
import { PipelineHost } from '../pipeline-host.js';

export { ucrStatus, type UcrStatus, type UcrTableStatus } from '../../connectors/ucr/ucr-status.js';

/** Runs `tributary rebuild <pipeline file> <domain>/<table_id>`; resolves to the exit code. */
export async function rebuildCommand({ positionals, registry, out, err }: CommandInput): Promise<number> {
  const [file, name] = positionals as [string, string];
  const match = /^([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/.exec(name);
  if (!match) throw new UsageError(`expected <domain>/<table_id> (letters, digits, _ and -), got '${name}'`);
  const [, domain, tableId] = match as unknown as [string, string, string];
  const [plan] = (await loadPlans([file], registry)) as [PipelinePlan];
  const catalogs = Object.entries(plan.resources).filter(([, r]) => r.type === ucrPostgresCatalogType.name);
  if (catalogs.length !== 1) {
    err(`${file}: expected one ${ucrPostgresCatalogType.name} resource, found ${catalogs.length}`);
    return 2;
  }
  const [catalogName] = catalogs[0]!;
  const resources = new ResourcePool();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', destination: process.stderr });
  let runner: PipelineRunner | undefined;
  try {
    // Not started: the runner gives the catalog the pipeline's own stages and sinks to build with.
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
    const catalog = runner.resource(ucrPostgresCatalogType, catalogName);
    if (!(catalog instanceof UcrCatalogResource)) throw new Error(`${catalogName} cannot rebuild its tables`);
    const started = Date.now();
    await catalog.rebuild(domain, tableId);
    out(
      `Rebuilt ${domain}/${tableId} of pipeline ${plan.name} and swapped it in (${Date.now() - started} ms).`,
    );
    return 0;
  } catch (error) {
    err(`rebuild ${domain}/${tableId}: ${(error as Error).message}`);
    return 1;
  } finally {
    await runner?.stop().catch(() => undefined);
    await resources.close();
  }
}
