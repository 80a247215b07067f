/**
 * Runs a pipeline's `ucr` stage offline: the `ucr-catalog` resource it names is replaced by one
 * whose data sources come from that resource's configuration folder (compiled as the catalog would)
 * and whose lookups (related cases, users, locations…) come from the test's `lookups:`
 * (`<kind>/<id>` → document; anything else is "not found"). Records are routed to
 * `<domain>/<table_id>` instead of the live key with its definition hash, so a test does not change
 * when a definition does.
 *
 * This is the one place `tributary test` knows about UCR.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { CompiledDataSource } from '../../commcare/ucr/contract.js';
import { compileDataSource, parseJsonValues } from '../../commcare/ucr/index.js';
import { lookupKeyId, ucrCatalogType, type UcrCatalog } from '../../commcare/ucr/ucr-catalog.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { defineResource } from '../../runtime/contract/index.js';
import { TestFileError } from './test-file.js';

/** True when the pipeline declares a UCR catalog the offline run must stand in for. */
export const needsOfflineUcr = (plan: PipelinePlan) =>
  Object.values(plan.resources).some((r) => r.type === ucrCatalogType.name);

/** The plan's resources with every `ucr-catalog` replaced by an offline catalog over its folder and `lookups`. */
export async function offlineUcrResources(
  plan: PipelinePlan,
  lookups: Record<string, unknown>,
): Promise<PipelinePlan['resources']> {
  const byId = new Map(
    Object.entries(lookups).map(([ref, value]) => {
      const slash = ref.indexOf('/');
      return [`${ref.slice(0, slash)}\u0000${ref.slice(slash + 1)}`, value];
    }),
  );
  const out: PipelinePlan['resources'] = {};
  for (const [name, part] of Object.entries(plan.resources)) {
    if (part.type !== ucrCatalogType.name) {
      out[name] = part;
      continue;
    }
    const folder = resolve((part.config as { configFolder: string }).configFolder);
    const dataSources = await compileFolder(folder);
    const catalog: UcrCatalog = {
      dataSources: (domain, docType) =>
        dataSources
          .filter((ds) => ds.domain === domain && ds.referencedDocType === docType && !ds.isDeactivated)
          .map((ds) => ({ key: `${ds.domain}/${ds.tableId}`, dataSource: ds })),
      fetch: (keys) =>
        Promise.resolve(
          new Map(keys.map((key) => [lookupKeyId(key), byId.get(`${key.kind}\u0000${key.id}`) ?? null])),
        ),
      tablesFor: () => [],
      refresh: () => Promise.resolve(),
    };
    const spec = defineResource({
      provides: ucrCatalogType,
      summary: 'An offline UCR catalog for `tributary test`.',
      example: 'type: ucr-catalog',
      config: z.object({}),
      create: () => catalog,
    });
    out[name] = { ...part, spec: spec, config: {} };
  }
  return out;
}

async function compileFolder(folder: string): Promise<CompiledDataSource[]> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const out: CompiledDataSource[] = [];
  for (const name of names) {
    try {
      out.push(
        compileDataSource(parseJsonValues(await readFile(join(folder, name), 'utf8')), { path: name }),
      );
    } catch (error) {
      throw new TestFileError(`${join(folder, name)}: ${(error as Error).message}`);
    }
  }
  return out;
}
