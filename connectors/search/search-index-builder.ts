/**
 * Builds a search index the way live changes fill it: the primary store's forms (for `forms`) or
 * cases (for `cases` and `case_search`), domain by domain, run through this pipeline's own stages
 * and sink (`runBounded`) with a catalog scoped to the one index being built standing in for the
 * pipeline's. Configuration indices (users, groups, domains, apps, locations) have no store here
 * that carries their change events: they fill from live changes (replay their compacted topics
 * with `tributary rewind` to fill a new one at once).
 */
import type { ResourceContext } from '../../runtime/contract/index.js';
import type { SearchIndexName } from '../../commcare/search/index.js';
import type { Database } from '../postgres/postgres-pool.js';
import { primaryStoreTables } from '../postgres/primary-store.js';
import { PrimaryStoreSource } from '../postgres/primary-store-source.js';
import type { BuildJob, ViewBuilder } from '../views/view-storage.js';
import { writeAliasOf, type SearchIndexTargets } from './index-targets.js';
import type { SearchEngine } from './search-engine.js';
import { logicalIndexOf, type SearchViewDefinition } from './search-view-definition.js';

export interface SearchIndexBuilderOptions {
  db: Database;
  engine: SearchEngine;
  ctx: ResourceContext;
  /** Documents per page read from the primary store. */
  pageDocs: number;
  /** False: builds read nothing (the index fills from live changes only). */
  backfill: boolean;
  /** Only these domains are read; every domain when absent. */
  domains: readonly string[] | undefined;
}

const storeOf: Partial<Record<SearchIndexName, 'forms' | 'cases'>> = {
  forms: 'forms',
  cases: 'cases',
  case_search: 'cases',
};

/** A build's position across domains: the domain and the last id committed in it. */
const positionOf = (domain: string, id: string) => JSON.stringify([domain, id]);
function parsePosition(position: string | undefined): [string, string] | undefined {
  if (!position) return undefined;
  const parsed = JSON.parse(position) as unknown;
  return Array.isArray(parsed) && parsed.length === 2 ? (parsed as [string, string]) : undefined;
}

export class SearchIndexBuilder implements ViewBuilder<SearchViewDefinition> {
  constructor(private readonly options: SearchIndexBuilderOptions) {}

  async build(job: BuildJob<SearchViewDefinition>): Promise<number> {
    const index = logicalIndexOf(job.definition);
    const documents = storeOf[index];
    if (!this.options.backfill) return 0;
    if (!documents) {
      this.options.ctx.logger.warn(
        { physical: job.physical, index },
        'No store holds the change events of this index: it fills from live changes (rewind the pipeline to replay its topics).',
      );
      return 0;
    }
    const resume = parsePosition(job.resumeFrom?.position);
    let read = job.resumeFrom?.documents ?? 0;
    let deadLetters = 0;
    for (const domain of await this.domains(documents, resume?.[0])) {
      if (await job.cancelled()) break;
      const after = resume && domain === resume[0] ? resume[1] : '';
      const before = read;
      const result = await this.options.ctx.runBounded(
        new PrimaryStoreSource({
          db: this.options.db,
          documents,
          domain,
          pageSize: this.options.pageDocs,
          lane: `build:${job.physical}`,
          resumeFrom: after ? { position: after, documents: 0 } : undefined,
          onCommit: (n, position) => job.progress(before + n, positionOf(domain, position)),
          cancelled: () => job.cancelled(),
        }),
        { label: `build:${job.physical}`, resources: { [this.options.ctx.name]: this.scoped(job) } },
      );
      read += result.records;
      deadLetters += result.deadLetters;
    }
    if (deadLetters)
      this.options.ctx.logger.warn(
        { physical: job.physical, deadLetters },
        'Some documents failed during the build; they are dead letters of the pipeline.',
      );
    return read;
  }

  /** The domains with documents in the store, in order, from `from` on (a resumed build). */
  private async domains(documents: 'forms' | 'cases', from: string | undefined): Promise<string[]> {
    const rows = await this.options.db.any<{ domain: string }>(
      `SELECT DISTINCT domain FROM ${primaryStoreTables[documents]} WHERE domain >= $1 ${this.options.domains ? 'AND domain = ANY($2::text[])' : ''} ORDER BY domain`,
      [from ?? '', this.options.domains ?? []],
    );
    return rows.map((row) => row.domain);
  }

  /** The catalog as the build's run sees it: only the index being built. */
  private scoped(job: BuildJob<SearchViewDefinition>): SearchIndexTargets {
    const index = logicalIndexOf(job.definition);
    let gone = false;
    return {
      engine: this.options.engine,
      indices: () => [index],
      writeTargets: (i) => (i === index && !gone ? [writeAliasOf(job.physical)] : []),
      // The index changed under a write: if the build is no longer wanted, its writes are dropped.
      refresh: async () => {
        gone = await job.cancelled();
      },
    };
  }
}
