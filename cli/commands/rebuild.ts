/**
 * UCR table administration: `tributary rebuild <pipeline file> <domain>/<table_id>` rebuilds a
 * data source of the pipeline's ucr-catalog beside its live table and swaps the view to it.
 * (`tributary status` asks the ucr-catalog resource's spec for the tables and their states.)
 */
import { UcrCatalogResource } from '../../connectors/ucr/ucr-catalog-resource.js';
import { ucrPostgresCatalogType } from '../../connectors/ucr/ucr-postgres-catalog.js';
import { UsageError, type CommandInput } from '../command.js';
import { withPipelineResource } from '../with-pipeline-resource.js';

export { ucrStatus, type UcrStatus, type UcrTableStatus } from '../../connectors/ucr/ucr-status.js';

/** Runs `tributary rebuild <pipeline file> <domain>/<table_id>`; resolves to the exit code. */
export async function rebuildCommand({ positionals, registry, out, err }: CommandInput): Promise<number> {
  const [file, name] = positionals as [string, string];
  const match = /^([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/.exec(name);
  if (!match) throw new UsageError(`expected <domain>/<table_id> (letters, digits, _ and -), got '${name}'`);
  const [, domain, tableId] = match as unknown as [string, string, string];
  // A bad file or an unreachable service fails through the command layer (file:line:col, exit 2);
  // a build that fails is this command's one line and exit 1.
  return withPipelineResource(file, registry, ucrPostgresCatalogType, async (catalog, plan) => {
    try {
      if (!(catalog instanceof UcrCatalogResource))
        throw new Error('this resource cannot rebuild its tables');
      const started = Date.now();
      await catalog.rebuild(domain, tableId);
      out(
        `Rebuilt ${domain}/${tableId} of pipeline ${plan.name} and swapped it in (${Date.now() - started} ms).`,
      );
      return 0;
    } catch (error) {
      err(`rebuild ${domain}/${tableId}: ${(error as Error).message}`);
      return 1;
    }
  });
}
