/**
 * UCR table administration: `tributary rebuild <pipeline file> <domain>/<table_id>` rebuilds a
 * data source of the pipeline's ucr-catalog beside its live table and swaps the view to it.
 * (`tributary status` asks the ucr-catalog resource's spec for the tables and their states.)
 */
import { parseArgs } from 'node:util';
import { UcrCatalogResource } from '../../connectors/ucr/ucr-catalog-resource.js';
import { ucrPostgresCatalogType } from '../../connectors/ucr/ucr-postgres-catalog.js';
import { PipelineRunner } from '../../runtime/engine/pipeline-runner.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import type { Registry } from '../../runtime/registry/index.js';
import { createLogger } from '../../runtime/telemetry/logger.js';
import { PipelineMetrics } from '../../runtime/telemetry/metrics.js';
import { loadPlans } from './run.js';
import { PipelineHost } from '../pipeline-host.js';
import { registry as defaultRegistry } from '../registry.js';

export { ucrStatus, type UcrStatus, type UcrTableStatus } from '../../connectors/ucr/ucr-status.js';

export const rebuildUsage = `Usage: tributary rebuild <pipeline file> <domain>/<table_id>

Rebuilds a UCR data source of the pipeline's ucr-catalog beside its live table (from the
primary store; the running pipeline writes live changes to both), then swaps the view
tributary_ucr."<domain>_<table_id>" to the new table in one transaction. The old table is dropped
after the catalog's grace period. Waits until the swap.

Exit codes: 0 swapped, 1 failure, 2 bad input (unreadable pipeline, no ucr-catalog resource, bad name).`;

export interface UcrAdminOptions {
  registry?: Registry;
  /** Where normal output goes; console.log by default. */
  out?: (line: string) => void;
  /** Where problems go; console.error by default. */
  err?: (line: string) => void;
}

/** Runs `tributary rebuild …`; resolves to the exit code. */
export async function rebuildCommand(args: string[], options: UcrAdminOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    err(`${(error as Error).message}\n\n${rebuildUsage}`);
    return 2;
  }
  if (parsed.values.help) {
    out(rebuildUsage);
    return 0;
  }
  const [file, name, ...extra] = parsed.positionals;
  const match = /^([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/.exec(name ?? '');
  if (!file || !match || extra.length) {
    err(rebuildUsage);
    return 2;
  }
  const [, domain, tableId] = match as unknown as [string, string, string];
  const plans = await loadPlans([file], options.registry ?? defaultRegistry);
  if (!plans) return 2;
  const plan = plans[0]!;
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
    // The runner is not started: it gives the catalog the pipeline's stages and sinks to build with.
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
