/**
 * Where the live changes of each logical index are written: the write alias of every physical
 * index that takes them (the live one behind the readers' alias, and one being built beside it).
 * Writes go to write aliases with `require_alias`, so a write racing the drop of a retired index
 * fails (and is retried against the current targets) instead of creating a stray index.
 */
import type { IndexDefinition, SearchIndexName } from '../../commcare/search/index.js';
import { indexNames } from '../../commcare/search/index.js';
import type { Logger } from '../../runtime/contract/index.js';
import type { SearchEngine } from './search-engine.js';

export interface IndexTargets {
  /** The write aliases live changes of `index` go to now; empty for an index this process does not maintain. */
  writeTargets(index: SearchIndexName): readonly string[];
  /** Reads the targets again (after a write found one gone). */
  refresh(): Promise<void>;
}

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
 * The targets when no lifecycle manages the indices (a first start): each definition's physical
 * index is created if missing and the readers' alias pointed at it if the alias does not exist;
 * live changes go to every index behind the alias and to the definition's own.
 */
export class BootstrapIndexTargets implements IndexTargets {
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

  writeTargets(index: SearchIndexName): readonly string[] {
    return this.targets.get(index) ?? [];
  }
}
