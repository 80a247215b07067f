/**
 * `tributary schemas check|register|types`: the Avro schemas of every topic, checked offline,
 * registered in the schema registry, and turned into TypeScript types.
 */
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import {
  displayPath,
  formatProblem,
  loadSchemaCatalog,
  type SchemaCatalog,
} from '../../schemas/schema-catalog.js';
import { checkSchemas } from '../../schemas/tools/schema-check.js';
import { registerSchemas, type SchemaRegistryApi } from '../../schemas/tools/schema-register.js';
import { findStaleTypes, generatedDir, writeTypes } from '../../schemas/tools/schema-types.js';
import { flagOption, listOption, stringOption, UsageError, type CommandInput } from '../command.js';

export interface SchemasCommandOptions {
  /** The registry to register with; a SchemaRegistryClient for SCHEMA_REGISTRY_URL by default. */
  registry?: SchemaRegistryApi & { url?: string };
}

function check(catalog: SchemaCatalog, out: (l: string) => void, err: (l: string) => void): number {
  const problems = checkSchemas(catalog);
  for (const problem of problems) err(formatProblem(problem));
  const versions = catalog.folders.reduce((n, f) => n + f.versions.length, 0);
  if (problems.length > 0) {
    err(
      `schemas check: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${displayPath(catalog.dir)}`,
    );
    return 1;
  }
  const levels = [...new Set(catalog.topics.map((t) => t.compatibility))].join(', ');
  out(
    `schemas check: ${catalog.topics.length} topics, ${catalog.folders.length} schemas, ${versions} versions: ` +
      `all valid and compatible (${levels})`,
  );
  return 0;
}

/**
 * Runs `tributary schemas check|register|types` and resolves with the exit code: 0 success, 1
 * failure (a problem in the schemas, a refused registration, stale types). Bad input (an unusable
 * schemas folder or topics.yaml, an unknown topic) is thrown for the command layer: exit 2.
 * Problems go to stderr, each naming the file, the field and the reason.
 */
export async function schemasCommand(
  command: 'check' | 'register' | 'types',
  { values, out, err }: CommandInput,
  options: SchemasCommandOptions = {},
): Promise<number> {
  const dir = stringOption(values, 'dir');
  // An unusable folder or topics.yaml throws SchemaCatalogError: bad input, for the command layer.
  const catalog = await loadSchemaCatalog(dir);
  switch (command) {
    case 'check':
      return check(catalog, out, err);
    case 'types':
      return types(catalog, flagOption(values, 'check'), out, err);
    case 'register': {
      const topics = listOption(values, 'topic');
      const unknown = topics.filter((t) => !catalog.topics.some((c) => c.topic === t));
      if (unknown.length > 0) throw new UsageError(`unknown topic ${unknown.join(', ')}: see topics.yaml`);
      // Never put a schema in the registry that fails the offline check.
      if (check(catalog, () => undefined, err) !== 0) return 1;
      const registry: SchemaRegistryApi & { url?: string } =
        options.registry ?? new SchemaRegistryClient({ url: readEndpoints().SCHEMA_REGISTRY_URL });
      const prefix = stringOption(values, 'prefix');
      return register(catalog, registry, { dryRun: flagOption(values, 'dry-run'), prefix, topics }, out, err);
    }
  }
}

async function types(
  catalog: SchemaCatalog,
  checkOnly: boolean,
  out: (l: string) => void,
  err: (l: string) => void,
): Promise<number> {
  // Types come from whatever parses; the schemas' other problems are `check`'s to report.
  for (const problem of catalog.problems) err(formatProblem(problem));
  if (catalog.problems.length > 0) return 1;
  const dir = generatedDir(catalog);
  if (checkOnly) {
    const stale = await findStaleTypes(catalog, dir);
    for (const line of stale) err(`${displayPath(dir)}/${line}`);
    if (stale.length > 0) {
      err('schemas types: generated types are stale: run `tributary schemas types`');
      return 1;
    }
    out(`schemas types: ${displayPath(dir)} is up to date`);
    return 0;
  }
  const { written, removed } = await writeTypes(catalog, dir);
  for (const name of written) out(`wrote   ${displayPath(dir)}/${name}`);
  for (const name of removed) out(`removed ${displayPath(dir)}/${name}`);
  out(
    `schemas types: ${displayPath(dir)} ${written.length + removed.length > 0 ? 'updated' : 'already up to date'}`,
  );
  return 0;
}

async function register(
  catalog: SchemaCatalog,
  registry: SchemaRegistryApi & { url?: string },
  how: { dryRun: boolean; prefix: string | undefined; topics: string[] },
  out: (l: string) => void,
  err: (l: string) => void,
): Promise<number> {
  const { dryRun } = how;
  const outcomes = await registerSchemas(catalog, registry, {
    dryRun,
    ...(how.prefix === undefined ? {} : { topicPrefix: how.prefix }),
    ...(how.topics.length ? { topics: how.topics } : {}),
  });
  const width = Math.max(7, ...outcomes.map((o) => o.subject.length));
  out(`${'SUBJECT'.padEnd(width)}  STATUS    ID     COMPATIBILITY        SCHEMA`);
  for (const o of outcomes) {
    const status = o.status === 'new' && dryRun ? 'would-add' : o.status;
    out(
      `${o.subject.padEnd(width)}  ${status.padEnd(8)}  ${String(o.id ?? '-').padEnd(5)}  ${o.compatibility.padEnd(19)}  ${o.file}`,
    );
  }
  for (const o of outcomes.filter((x) => x.status === 'refused')) err(`${o.file}: ${o.subject}: ${o.error}`);
  const added = outcomes.filter((o) => o.status === 'new').length;
  const refused = outcomes.filter((o) => o.status === 'refused').length;
  const where = registry.url ?? 'the registry';
  out(
    `schemas register${dryRun ? ' (dry run)' : ''}: ${added} new, ${outcomes.length - added - refused} existing, ` +
      `${refused} refused at ${where}`,
  );
  return refused > 0 ? 1 : 0;
}
