/**
 * The view lifecycle's storage adapter for search indices: a physical index per definition hash
 * (created with its mapping and a write alias), the readers' alias swapped to a new one in one
 * `_aliases` call (atomic for readers), an old index deleted. The engine is outside the catalog's
 * transaction, so every call is idempotent: the lifecycle may run a step again after a rollback.
 */
import { writeAliasOf } from './index-targets.js';
import type { SearchEngine } from './search-engine.js';
import type { SearchViewDefinition } from './search-view-definition.js';
import type { CatalogTx, ViewStorage } from '../views/view-storage.js';
import { TOMBSTONE_FIELD } from '../../commcare/search/index.js';

export class SearchIndexStorage implements ViewStorage<SearchViewDefinition> {
  constructor(private readonly engine: SearchEngine) {}

  physicalName(definition: SearchViewDefinition, twin?: string): string {
    return `${definition.view}_${definition.hash}${twin ? `_${twin}` : ''}`;
  }

  async createPhysical(_tx: CatalogTx, physical: string, definition: SearchViewDefinition): Promise<void> {
    await this.engine.createIndex(physical, {
      settings: definition.index.settings,
      mappings: definition.index.mappings,
      aliases: { [writeAliasOf(physical)]: {} },
    });
  }

  async swapReaders(_tx: CatalogTx, view: string, physical: string): Promise<void> {
    const behind = await this.engine.aliasTargets(view);
    await this.engine.updateAliases([
      ...behind.filter((index) => index !== physical).map((index) => ({ remove: { index, alias: view } })),
      { add: { index: physical, alias: view } },
    ]);
  }

  async dropPhysical(_tx: CatalogTx, physical: string): Promise<void> {
    // Its aliases (the readers' one, when it still points here, and the write alias) go with it.
    await this.engine.deleteIndex(physical);
  }

  async existing(_q: CatalogTx, physicals: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const physical of physicals) {
      if ((await this.engine.indices(physical)).some((info) => info.name === physical)) found.add(physical);
    }
    return found;
  }

  /** The alias swap is atomic in the engine; writers hold no lock to wait for. */
  lock(): Promise<void> {
    return Promise.resolve();
  }

  /** Documents readers see (tombstones are not), once what was written is searchable. */
  async count(_tx: CatalogTx, physical: string): Promise<number> {
    await this.engine.refresh(physical);
    return this.engine.count(physical, { bool: { must_not: [{ term: { [TOMBSTONE_FIELD]: true } }] } });
  }
}
