/**
 * Runs a pipeline's `ucr` stage offline: the data sources come from the configuration folder its
 * `ucr-postgres` sink names (compiled as the sink would), and lookups (related cases, users,
 * locations…) from the test's `lookups:` (`<kind>/<id>` → document; anything else is "not found").
 * Records are routed to `<domain>/<table_id>` instead of the live key with its definition hash, so
 * a test does not change when a definition does.
 *
 * This is the one place `tributary test` knows about UCR: when the stage and sink share a declared
 * resource instead of the link, provide that resource here the same way.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CompiledDataSource } from '../../commcare/ucr/contract.js';
import { compileDataSource, parseJsonValues } from '../../commcare/ucr/index.js';
import { lookupKeyId, ucrStageLink } from '../../commcare/ucr/ucr-stage-link.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import type { Resources } from '../../runtime/contract/index.js';
import { TestFileError } from './test-file.js';

/** True when the pipeline has a stage that needs the UCR services. */
export const needsOfflineUcr = (plan: PipelinePlan) => plan.processors.some((p) => p.type === 'ucr');

export async function provideOfflineUcr(
  plan: PipelinePlan,
  resources: Resources,
  lookups: Record<string, unknown>,
): Promise<void> {
  const sink = Object.values(plan.sinks).find((s) => s.type === 'ucr-postgres');
  if (!sink)
    throw new TestFileError(`${plan.file}: the ucr stage has no ucr-postgres sink to take data sources from`);
  const folder = resolve((sink.config as { configFolder: string }).configFolder);
  const dataSources = await compileFolder(folder);
  const byId = new Map(
    Object.entries(lookups).map(([ref, value]) => {
      const slash = ref.indexOf('/');
      return [`${ref.slice(0, slash)}\u0000${ref.slice(slash + 1)}`, value];
    }),
  );
  (await ucrStageLink(resources, plan.name)).provide({
    dataSources: (domain, docType) =>
      dataSources
        .filter((ds) => ds.domain === domain && ds.referencedDocType === docType && !ds.isDeactivated)
        .map((ds) => ({ key: `${ds.domain}/${ds.tableId}`, dataSource: ds })),
    fetch: (keys) =>
      Promise.resolve(
        new Map(keys.map((key) => [lookupKeyId(key), byId.get(`${key.kind}\u0000${key.id}`) ?? null])),
      ),
  });
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
