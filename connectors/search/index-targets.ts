/**
 * Where the live changes of each logical index are written: the write alias of every physical
 * index that takes them (the live one behind the readers' alias, and one being built beside it).
 * Writes go to write aliases with `require_alias`, so a write racing the drop of a retired index
 * fails (and is retried against the current targets) instead of creating a stray index.
 */
import type { IndexDefinition, SearchIndexCatalog, SearchIndexName } from '../../commcare/search/index.js';
import { indexNames, searchIndexType } from '../../commcare/search/index.js';
import { resourceType, type Logger } from '../../runtime/contract/index.js';
import type { SearchEngine } from './search-engine.js';

/**
 * The `search-index` resource as the search sink sees it: the stage's interface (commcare/search)
 * plus the engine the indices live in. Same resource type name, so one pipeline file names one
 * resource for both the `search-documents` stage and the `search` sink.
 */
export interface SearchIndexTargets extends SearchIndexCatalog {
  readonly engine: SearchEngine;
  /** Why nothing can be written now (no index defined or usable), or undefined. */
  notReady?(): string | undefined;
}

export const searchIndexTargetsType = resourceType<SearchIndexTargets>(searchIndexType.name);

/** The write alias of a physical index. */
export const writeAliasOf = (physical: string) => `${physical}.write`;

/** Creates a physical index with its mapping and its write alias; quiet when it exists. */
export async function createPhysicalIndex(
  engine: SearchEngine,
  physical: string,
  definition: IndexDefinition,
): Promise<void> {
  await engine.createIndex(physical, {
    settings: definition.settings,
    mappings: definition.mappings,
    aliases: { [writeAliasOf(physical)]: {} },
  });
}

/**
 * Targets without the view lifecycle, for the benchmark's bare loop and set-ups outside a pipeline:
 * each definition's physical index is created if missing and the readers' alias pointed at it if
 * the alias does not exist; changes go to every index behind the alias and to the definition's own.
 */
export class BootstrapIndexTargets implements SearchIndexCatalog {
  private targets = new Map<SearchIndexName, string[]>();

  constructor(
    private readonly engine: SearchEngine,
    private readonly definitions: ReadonlyMap<SearchIndexName, IndexDefinition>,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for (const definition of this.definitions.values()) {
      const { alias, physical } = indexNames(definition, this.prefix);
      await createPhysicalIndex(this.engine, physical, definition);
      const behind = await this.engine.aliasTargets(alias);
      if (!behind.length) {
        await this.engine.updateAliases([{ add: { index: physical, alias } }]);
      } else if (!behind.includes(physical)) {
        this.logger.warn(
          { alias, live: behind, definition: physical },
          'The index definition changed: live changes go to both indices; rebuild to swap the alias.',
        );
      }
    }
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const next = new Map<SearchIndexName, string[]>();
    for (const definition of this.definitions.values()) {
      const { alias, physical } = indexNames(definition, this.prefix);
      const behind = await this.engine.aliasTargets(alias);
      next.set(definition.index, [...new Set([...behind, physical])].map(writeAliasOf));
    }
    this.targets = next;
  }

  indices(): readonly SearchIndexName[] {
    return [...this.targets.keys()];
  }

  writeTargets(index: SearchIndexName): readonly string[] {
    return this.targets.get(index) ?? [];
  }
}
