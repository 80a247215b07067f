/**
 * Builds a UCR table the way live changes fill it: a bounded source over the source of truth (the
 * primary store for forms and cases, CouchDB for users and locations) runs through this pipeline's
 * own stages and sinks (`runBounded`), with a catalog scoped to the one table being built standing
 * in for the pipeline's. The same `ucr` stage evaluates, the same `ucr-postgres` sink writes.
 */
import type { ResourceContext, Source } from '../../runtime/contract/index.js';
import type { UcrTableTarget } from '../../commcare/ucr/ucr-catalog.js';
import { pinnedSubtypes } from '../../commcare/ucr/pinned-subtypes.js';
import { CouchdbSnapshotSource } from '../couchdb/couchdb-snapshot-source.js';
import type { Database } from '../postgres/postgres-pool.js';
import { PrimaryStoreSource } from '../postgres/primary-store-source.js';
import type { BuildJob, ViewBuilder } from '../views/view-storage.js';
import type { UcrPostgresCatalog } from './ucr-postgres-catalog.js';
import type { UcrViewDefinition } from './ucr-view-definition.js';

export interface UcrViewBuilderOptions {
  db: Database;
  /** The catalog resource whose tables are built (the scoped one shares its lookups). */
  catalog: UcrPostgresCatalog;
  ctx: ResourceContext;
  /** Documents per page read from the source of truth. */
  pageDocs: number;
  couchdbUrl: string;
  /** CouchDB database per lookup kind (`user`, `location`): where users and locations are read from. */
  couchDatabases: Readonly<Record<string, string>>;
}

/** The CouchDB lookup kind whose database holds the documents of a referenced doc type. */
const couchKindOf: Readonly<Record<string, string>> = { CommCareUser: 'user', Location: 'location' };

export class UcrViewBuilder implements ViewBuilder<UcrViewDefinition> {
  constructor(private readonly options: UcrViewBuilderOptions) {}

  async build(job: BuildJob<UcrViewDefinition>): Promise<number> {
    const source = this.sourceFor(job);
    if (!source) return 0;
    const { records, deadLetters } = await this.options.ctx.runBounded(source, {
      label: `build:${job.physical}`,
      resources: { [this.options.ctx.name]: this.scoped(job) },
    });
    if (deadLetters)
      this.options.ctx.logger.warn(
        { physical: job.physical, deadLetters },
        'Some documents failed during the build; they are dead letters of the pipeline.',
      );
    return records;
  }

  /** The bounded source of every document the data source can match; undefined (with a warning) when none can be read. */
  private sourceFor(job: BuildJob<UcrViewDefinition>): Source | undefined {
    const ds = job.definition.dataSource;
    const common = {
      domain: ds.domain,
      lane: `build:${job.physical}`,
      resumeFrom: job.resumeFrom,
      onCommit: (documents: number, position: string) => job.progress(documents, position),
      cancelled: () => job.cancelled(),
    };
    if (ds.referencedDocType === 'XFormInstance' || ds.referencedDocType === 'CommCareCase') {
      const forms = ds.referencedDocType === 'XFormInstance';
      return new PrimaryStoreSource({
        ...common,
        db: this.options.db,
        documents: forms ? 'forms' : 'cases',
        subtypes: pinnedSubtypes(ds.source, forms ? 'xmlns' : 'type'),
        pageSize: this.options.pageDocs,
      });
    }
    const database = this.options.couchDatabases[couchKindOf[ds.referencedDocType] ?? ''];
    if (!database) {
      this.options.ctx.logger.warn(
        { physical: job.physical, referencedDocType: ds.referencedDocType },
        'No store to build this data source from: it fills from live changes only.',
      );
      return undefined;
    }
    return new CouchdbSnapshotSource({
      ...common,
      url: this.options.couchdbUrl,
      database,
      docTypes: [ds.referencedDocType],
      pageSize: this.options.pageDocs,
    });
  }

  /** The catalog as the build's run sees it: only the table being built, under a key of its own. */
  private scoped(job: BuildJob<UcrViewDefinition>): UcrPostgresCatalog {
    const parent = this.options.catalog;
    const dataSource = job.definition.dataSource;
    const key = `build:${job.physical}`;
    const target: UcrTableTarget = {
      table: job.physical,
      dataSource,
      replaceEqualVersion: job.mode === 'refresh',
    };
    let gone = false;
    const scoped: UcrPostgresCatalog = {
      db: parent.db,
      notReady: () => undefined,
      dataSources: (domain, docType) =>
        !gone && domain === dataSource.domain && docType === dataSource.referencedDocType
          ? [{ key, dataSource }]
          : [],
      fetch: (keys) => parent.fetch(keys),
      tablesFor: (k) => (k === key && !gone ? [target] : []),
      // A table changed under a write: if the build is no longer wanted, its writes are dropped.
      refresh: async () => {
        gone = await job.cancelled();
      },
    };
    return scoped;
  }
}
