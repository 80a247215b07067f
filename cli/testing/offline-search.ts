/**
 * Runs a pipeline's `search-documents` stage offline: the `search-index` resource it names is
 * replaced by one that keeps every index of that resource's `indices` (or every index with a
 * mapping file in its folder) and writes nowhere, so a test sees the documents routed to each
 * logical index. This is the one place `tributary test` knows about search.
 */
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  searchIndexNames,
  searchIndexType,
  type SearchIndexCatalog,
  type SearchIndexName,
} from '../../commcare/search/index.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { defineResource } from '../../runtime/contract/index.js';

/** True when the pipeline declares a search-index resource the offline run must stand in for. */
export const needsOfflineSearch = (plan: PipelinePlan) =>
  Object.values(plan.resources).some((r) => r.type === searchIndexType.name);

/** The plan's resources with every `search-index` replaced by an offline one. */
export async function offlineSearchResources(
  resources: PipelinePlan['resources'],
): Promise<PipelinePlan['resources']> {
  const out: PipelinePlan['resources'] = {};
  for (const [name, part] of Object.entries(resources)) {
    if (part.type !== searchIndexType.name) {
      out[name] = part;
      continue;
    }
    const config = part.config as { indices?: SearchIndexName[]; mappings: string };
    const files = await readdir(resolve(config.mappings)).catch(() => [] as string[]);
    const kept = config.indices ?? searchIndexNames.filter((index) => files.includes(`${index}.json`));
    const catalog: SearchIndexCatalog = {
      indices: () => kept,
      writeTargets: () => [],
      refresh: () => Promise.resolve(),
    };
    const spec = defineResource({
      provides: searchIndexType,
      summary: 'An offline search-index resource for `tributary test`.',
      example: 'type: search-index',
      config: z.object({}),
      create: () => catalog,
    });
    out[name] = { ...part, spec, config: {} };
  }
  return out;
}
