/**
 * A search index definition (a mapping file of `pipelines/search/`) as the view lifecycle sees it:
 * the readers' alias `<prefix><index>` is the view, the hash of settings and mapping names the
 * physical index behind it (`<alias>_<hash>`), so a changed file is a new index built beside.
 */
import {
  indexDefinitionOf,
  indexNames,
  type IndexDefinition,
  type SearchIndexName,
} from '../../commcare/search/index.js';
import type { ViewDefinition } from '../views/view-storage.js';

export interface SearchViewDefinition extends ViewDefinition {
  readonly index: IndexDefinition;
}

/** The file's content as the catalog keeps it (what `searchViewDefinition` reads back). */
export function indexDefinitionSource(definition: IndexDefinition): unknown {
  const { index, description, settings, mappings } = definition;
  return { index, description, settings, mappings };
}

/** Compiles a mapping file's JSON for a deployment's prefix; throws IndexDefinitionError naming the path at fault. */
export function searchViewDefinition(source: unknown, prefix: string): SearchViewDefinition {
  const index = indexDefinitionOf(source, 'search index definition');
  return {
    view: indexNames(index, prefix).alias,
    hash: index.hash,
    source: indexDefinitionSource(index),
    labels: { search_index: index.index },
    deactivated: false,
    rebuildable: true,
    index,
  };
}

/** Catalog labels of a definition that did not compile. */
export function searchProblemLabels(source: unknown): Record<string, string | null> {
  const index = (source as { index?: unknown } | null)?.index;
  return { search_index: typeof index === 'string' ? index : null };
}

export const logicalIndexOf = (definition: SearchViewDefinition): SearchIndexName => definition.index.index;
