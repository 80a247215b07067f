/**
 * Search index administration: `tributary reindex <pipeline file> <index>` rebuilds one logical
 * index of the pipeline's search-index resource beside its live physical index (backfilled through
 * the pipeline's own stage and sink) and swaps the alias to it; the old index goes after the grace
 * period. (`tributary status` asks the resource's spec for the indices and their states.)
 */
import { searchIndexNames, type SearchIndexName } from '../../commcare/search/index.js';
import { searchIndexTargetsType } from '../../connectors/search/index-targets.js';
import { SearchIndexResource } from '../../connectors/search/search-index-resource.js';
import { UsageError, type CommandInput } from '../command.js';
import { withPipelineResource } from '../with-pipeline-resource.js';

/** Runs `tributary reindex <pipeline file> <index>`; resolves to the exit code. */
export async function reindexCommand({ positionals, registry, out, err }: CommandInput): Promise<number> {
  const [file, index] = positionals as [string, string];
  if (!(searchIndexNames as readonly string[]).includes(index))
    throw new UsageError(`expected one of ${searchIndexNames.join(', ')} as the index, got '${index}'`);
  // A bad file or an unreachable service fails through the command layer (file:line:col, exit 2);
  // a build that fails is this command's one line and exit 1.
  return withPipelineResource(file, registry, searchIndexTargetsType, async (catalog, plan) => {
    try {
      if (!(catalog instanceof SearchIndexResource))
        throw new Error('this resource cannot rebuild its indices');
      const started = Date.now();
      await catalog.rebuild(index as SearchIndexName);
      out(`Rebuilt ${index} of pipeline ${plan.name} and swapped its alias (${Date.now() - started} ms).`);
      return 0;
    } catch (error) {
      err(`reindex ${index}: ${(error as Error).message}`);
      return 1;
    }
  });
}
