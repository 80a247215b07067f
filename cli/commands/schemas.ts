/**
 * `tributary schemas check|register|types`: the Avro schemas of every topic, checked offline,
 * registered in the schema registry, and turned into TypeScript types.
 */
import { parseArgs } from 'node:util';
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { EndpointConfigError, readEndpoints } from '../../connectors/endpoints.js';
import {
  displayPath,
  formatProblem,
  loadSchemaCatalog,
  SchemaCatalogError,
  type SchemaCatalog,
} from '../../schemas/schema-catalog.js';
import { checkSchemas } from '../../schemas/tools/schema-check.js';
import { registerSchemas, type SchemaRegistryApi } from '../../schemas/tools/schema-register.js';
import { findStaleTypes, generatedDir, writeTypes } from '../../schemas/tools/schema-types.js';

export const schemasUsage = `Usage: tributary schemas <command> [options]

Commands:
  check                 every schema parses, follows the conventions, and each version reads the
                        earlier ones as its topic's compatibility level demands (offline)
  register [--dry-run]  register each topic's latest schema under <topic>-value and set the
                        subject's compatibility level; --dry-run only reports what would change
  types [--check]       generate TypeScript types into schemas/generated/; --check only reports
                        whether the committed ones are stale

Options:
  --dir <path>          the schemas folder (default: the one shipped with Tributary)
  --prefix <text>       register: prepended to every topic name (e.g. staging.)
  --topic <name>        register: only this topic (repeatable)
  -h, --help            this text

Exit codes: 0 success, 1 failure, 2 bad input. SCHEMA_REGISTRY_URL names the registry.`;

export interface SchemasCommandOptions {
  /** Where normal output goes; console.log by default. */
  out?: (line: string) => void;
  /** Where problems go; console.error by default. */
  err?: (line: string) => void;
  /** The registry to register with; a SchemaRegistryClient for SCHEMA_REGISTRY_URL by default. */
  registry?: SchemaRegistryApi & { url?: string };
}

class BadInput extends Error {}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        prefix: { type: 'string' },
        topic: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new BadInput((error as Error).message);
  }
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
 * Runs `tributary schemas <args>` and resolves with the exit code: 0 success, 1 failure (a
 * problem in the schemas, a refused registration, stale types), 2 bad input (unknown command or
 * option, unusable schemas folder or topics.yaml, bad SCHEMA_REGISTRY_URL). Problems go to stderr,
 * each naming the file, the field and the reason. Never throws.
 */
export async function schemasCommand(args: string[], options: SchemasCommandOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  try {
    const { values, positionals } = parse(args);
    const [command, ...rest] = positionals;
    if (values.help || command === 'help') {
      out(schemasUsage);
      return 0;
    }
    if (command === undefined) throw new BadInput('missing command: check, register or types');
    if (rest.length > 0) throw new BadInput(`unexpected argument '${rest[0]}'`);
    const allowed: Record<string, string[]> = {
      check: [],
      register: ['dry-run', 'prefix', 'topic'],
      types: ['check'],
    };
    if (!(command in allowed)) throw new BadInput(`unknown command '${command}'`);
    for (const [name, value] of Object.entries(values)) {
      const given = value !== undefined && value !== false;
      if (given && name !== 'dir' && name !== 'help' && !allowed[command]!.includes(name)) {
        throw new BadInput(`--${name} does not apply to '${command}'`);
      }
    }

    const catalog = await loadSchemaCatalog(values.dir);
    switch (command) {
      case 'check':
        return check(catalog, out, err);

      case 'types': {
        // Types come from whatever parses; the schemas' other problems are `check`'s to report.
        for (const problem of catalog.problems) err(formatProblem(problem));
        if (catalog.problems.length > 0) return 1;
        const dir = generatedDir(catalog);
        if (values.check) {
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

      case 'register': {
        const unknown = (values.topic ?? []).filter((t) => !catalog.topics.some((c) => c.topic === t));
        if (unknown.length > 0) throw new BadInput(`unknown topic ${unknown.join(', ')}: see topics.yaml`);
        // Never put a schema in the registry that fails the offline check.
        if (check(catalog, () => undefined, err) !== 0) return 1;
        const registry: SchemaRegistryApi & { url?: string } =
          options.registry ?? new SchemaRegistryClient({ url: readEndpoints().SCHEMA_REGISTRY_URL });
        const dryRun = values['dry-run'];
        const outcomes = await registerSchemas(catalog, registry, {
          dryRun,
          ...(values.prefix === undefined ? {} : { topicPrefix: values.prefix }),
          ...(values.topic === undefined ? {} : { topics: values.topic }),
        });
        const width = Math.max(7, ...outcomes.map((o) => o.subject.length));
        out(`${'SUBJECT'.padEnd(width)}  STATUS    ID     COMPATIBILITY        SCHEMA`);
        for (const o of outcomes) {
          const status = o.status === 'new' && dryRun ? 'would-add' : o.status;
          out(
            `${o.subject.padEnd(width)}  ${status.padEnd(8)}  ${String(o.id ?? '-').padEnd(5)}  ${o.compatibility.padEnd(19)}  ${o.file}`,
          );
        }
        for (const o of outcomes.filter((x) => x.status === 'refused'))
          err(`${o.file}: ${o.subject}: ${o.error}`);
        const added = outcomes.filter((o) => o.status === 'new').length;
        const refused = outcomes.filter((o) => o.status === 'refused').length;
        const where = registry.url ?? 'the registry';
        out(
          `schemas register${dryRun ? ' (dry run)' : ''}: ${added} new, ${outcomes.length - added - refused} existing, ` +
            `${refused} refused at ${where}`,
        );
        return refused > 0 ? 1 : 0;
      }
    }
    return 2;
  } catch (error) {
    if (error instanceof BadInput) {
      err(`tributary schemas: ${error.message}\n\n${schemasUsage}`);
      return 2;
    }
    if (error instanceof SchemaCatalogError || error instanceof EndpointConfigError) {
      err(`tributary schemas: ${error.message}`);
      return 2;
    }
    err(`tributary schemas: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}
