/**
 * What `tributary status` shows of a pipeline's search indices: each physical index with its
 * logical index, alias, state, documents readers see, build progress, last swap and last error,
 * and the mapping files that could not be used. Counts come from the engine when it answers.
 */
import type { ComponentStatus } from '../../runtime/contract/index.js';
import type { Database } from '../postgres/postgres-pool.js';
import { searchViewCatalog } from './search-catalog.js';
import type { SearchEngine } from './search-engine.js';

export interface SearchIndexStatus {
  index: string;
  alias: string;
  physical: string;
  state: 'building' | 'live' | 'retired';
  /** Documents in the physical index (tombstones included), null when the engine did not answer. */
  docs: number | null;
  builtDocuments: number | null;
  swappedAt: Date | null;
  dropAfter: Date | null;
  error: string | null;
}

export interface SearchStatus {
  indices: SearchIndexStatus[];
  definitionErrors: { origin: string; error: string }[];
}

export async function searchStatus(
  db: Database,
  engine: SearchEngine | undefined,
  pipeline: string,
): Promise<SearchStatus> {
  const exists = await searchViewCatalog.exists(db);
  const rows = exists.catalog ? await searchViewCatalog.all(db, pipeline) : [];
  const docs = new Map<string, number>();
  for (const row of rows) {
    const info = await engine?.indices(row.physical).catch(() => []);
    const found = info?.find((i) => i.name === row.physical);
    if (found) docs.set(row.physical, found.docs);
  }
  const problems = exists.problems ? await searchViewCatalog.problems(db, pipeline) : [];
  return {
    indices: rows.map((row) => ({
      index: row.labels.search_index ?? '',
      alias: row.view,
      physical: row.physical,
      state: row.state,
      docs: docs.get(row.physical) ?? null,
      builtDocuments: row.progress?.documents ?? null,
      swappedAt: row.swappedAt,
      dropAfter: row.dropAfter,
      error: row.errors,
    })),
    definitionErrors: problems.map((p) => ({ origin: p.origin, error: p.error })),
  };
}

const time = (date: Date | null) => (date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

function stateText(s: SearchIndexStatus): string {
  if (s.state === 'retired') return `retired (drop after ${time(s.dropAfter)})`;
  if (s.state === 'building' && s.builtDocuments !== null) return `building (${s.builtDocuments} docs read)`;
  return s.state;
}

export function searchStatusReport(status: SearchStatus): ComponentStatus {
  if (!status.indices.length && !status.definitionErrors.length)
    return { summary: 'Search: no indices yet (they are created when the pipeline starts).', data: status };
  const tables: ComponentStatus['tables'] = [
    {
      columns: ['SEARCH INDEX', 'ALIAS', 'STATE', 'DOCS', 'PHYSICAL INDEX', 'LAST SWAP', 'ERROR'],
      rows: status.indices.map((s) => [
        s.index,
        s.alias,
        stateText(s),
        s.docs === null ? '?' : String(s.docs),
        s.physical,
        time(s.swappedAt),
        s.error ?? '',
      ]),
    },
  ];
  if (status.definitionErrors.length)
    tables.push({
      columns: ['MAPPING FILE', 'ERROR'],
      rows: status.definitionErrors.map((e) => [e.origin, e.error]),
    });
  return { tables, data: status };
}
