import { z } from 'zod';
import {
  BadRecordError,
  defineSink,
  resourceRef,
  RetryableError,
  type ComponentContext,
  type Logger,
  type Sink,
  type SinkRecord,
  type WriteFailure,
  type WriteResult,
} from '../../runtime/contract/index.js';
import { searchIndexType, TOMBSTONE_FIELD, type SearchIndexName } from '../../commcare/search/index.js';
import { AdaptiveLimit } from './adaptive-limit.js';
import { sendBulk, type BulkAction, type BulkOutcome } from './bulk-writer.js';
import { searchIndexTargetsType, type SearchIndexTargets } from './index-targets.js';

const searchSinkConfig = z.object({
  catalog: resourceRef(
    searchIndexType,
    'The search-index resource (under `resources:`) whose indices the documents go to.',
  ),
  maxBulkBytes: z
    .number()
    .int()
    .positive()
    .default(5 * 1024 * 1024)
    .describe('Largest bulk request body in bytes (a larger single document goes alone).'),
  maxBulkActions: z.number().int().positive().default(1000).describe('Most actions in one bulk request.'),
  maxInFlight: z
    .number()
    .int()
    .positive()
    .default(3)
    .describe(
      'Bulk requests of one batch (one lane) in flight at once. Across lanes the sink sends at most this times the lanes in flight, halved while the engine answers 429 and grown back as it recovers.',
    ),
  retryItemsMs: z
    .number()
    .int()
    .nonnegative()
    .default(10_000)
    .describe(
      'How long a batch keeps re-sending the actions the engine could not take (429, 5xx), with growing pauses, before the runtime retries the whole batch.',
    ),
  requestTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe('How long one request may take before it counts as failed (and is retried).'),
});

export type SearchSinkConfig = z.output<typeof searchSinkConfig>;

export const searchSink = defineSink({
  name: 'search',
  summary:
    'Indexes and deletes documents in OpenSearch or Elasticsearch with the bulk API, versioned so an older version never wins.',
  description:
    'Each record names its logical index in `routing.target` (`cases`, `case_search`…) and carries the document version in ' +
    '`routing.version`; the key is the document id. Documents are written with external versions, so a replay or a retry ' +
    'of an older version is refused by the engine (409, counted as done). A delete writes a tombstone document ' +
    `(\`${TOMBSTONE_FIELD}: true\`) at the deleting version instead of removing the document: it is filtered out of every ` +
    'query and, unlike a real delete (forgotten after `index.gc_deletes`, 60 s), keeps refusing older versions forever. ' +
    'Bulk requests are sized by bytes and count, several in flight per batch; an item refused for its content is that ' +
    "record's dead letter; 429, `es_rejected_execution_exception`, 5xx and timeouts retry the batch (the lane pauses). " +
    'No refresh is requested: the index refresh interval decides when changes become searchable.',
  config: searchSinkConfig,
  example: `type: search
catalog: search`,
  movedKeys: {
    url: 'the search-index resource (`searchUrl`)',
    engine: 'the search-index resource',
    indexPrefix: 'the search-index resource',
    mappings: 'the search-index resource',
    indices: 'the search-index resource',
  },
  create: (config, ctx) => new SearchSink(config, ctx.resource(searchIndexTargetsType, config.catalog), ctx),
});

/** The version of a record as an external version: a whole number from 0 to 2^63 - 1. */
function externalVersion(record: SinkRecord): number | undefined {
  const version = record.routing?.version;
  const n =
    typeof version === 'string' && /^\d+$/.test(version)
      ? Number(version)
      : typeof version === 'bigint'
        ? Number(version)
        : version;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export class SearchSink implements Sink {
  /** Bulk requests in flight across the lanes of this sink. */
  private readonly limit: AdaptiveLimit;
  private readonly logger: Logger;

  constructor(
    private readonly config: SearchSinkConfig,
    readonly targets: SearchIndexTargets,
    ctx: ComponentContext,
  ) {
    this.logger = ctx.logger;
    this.limit = new AdaptiveLimit(config.maxInFlight * ctx.delivery.maxInFlight);
  }

  get engine() {
    return this.targets.engine;
  }

  notReady(): string | undefined {
    return this.targets.notReady?.();
  }

  /** The bulk actions of a batch, and the records refused before sending (no key, no version, unknown index). */
  private actionsOf(records: SinkRecord[], failed: WriteFailure[]): BulkAction[] {
    const actions: BulkAction[] = [];
    records.forEach((record, index) => {
      const target = record.routing?.target as SearchIndexName | undefined;
      const version = externalVersion(record);
      const fail = (reason: string, message: string) =>
        failed.push({ index, error: new BadRecordError(reason, message) });
      if (record.key === null || record.key === '')
        return fail('search-no-id', 'a search document needs the record key as its id');
      if (version === undefined)
        return fail('search-no-version', `document ${record.key}: routing.version must be a whole number`);
      const writeTo = target ? this.targets.writeTargets(target) : [];
      if (!writeTo.length) {
        if (!target || !this.targets.indices().includes(target))
          return fail(
            'search-unknown-index',
            `document ${record.key}: no search index ${String(target)} here`,
          );
        // A build cancelled meanwhile (its index retired): what it still reads is not written.
        return this.logger.debug({ key: record.key, index: target }, 'No index to write this document to.');
      }
      const deleting = record.routing?.op === 'delete' || record.value === null;
      const doc = deleting ? { [TOMBSTONE_FIELD]: true, doc_id: record.key } : record.value;
      const source = `${JSON.stringify(doc)}\n`;
      for (const alias of writeTo) {
        const action = `${JSON.stringify({ index: { _index: alias, _id: record.key, version, version_type: 'external', require_alias: true } })}\n`;
        const lines = action + source;
        actions.push({ record: index, lines, bytes: Buffer.byteLength(lines) });
      }
    });
    return actions;
  }

  /**
   * Sends the actions, then again only those the engine could not take (429, 5xx) with a growing
   * pause, until `retryItemsMs` is spent: then the runtime retries the whole batch (idempotent: a
   * version already written is a 409, counted as done). A target that is gone (404: an index
   * retired meanwhile) ends the attempt at once, so the retry is planned against the new targets.
   */
  private async send(actions: BulkAction[]): Promise<BulkOutcome['refused']> {
    const refused: BulkOutcome['refused'] = new Map();
    const deadline = Date.now() + this.config.retryItemsMs;
    let pending = actions;
    for (let pauseMs = 100; ; pauseMs = Math.min(pauseMs * 2, 2_000)) {
      const outcome = await sendBulk(this.engine, pending, this.config, this.limit);
      for (const [record, refusal] of outcome.refused) refused.set(record, refusal);
      if (!outcome.transient.length) return refused;
      const first = outcome.transient[0]!.item;
      const gone = outcome.transient.some(({ item }) => item.status === 404);
      if (gone) await this.targets.refresh().catch(() => undefined);
      if (gone || Date.now() + pauseMs > deadline) {
        throw new RetryableError(
          `search engine could not take ${outcome.transient.length} of ${actions.length} actions: ${first.status} ${first.errorType ?? ''} ${first.reason ?? ''}`.trim(),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs * (0.8 + Math.random() * 0.4)));
      pending = outcome.transient.map(({ action }) => action);
    }
  }

  async write(records: SinkRecord[]): Promise<WriteResult> {
    const failed: WriteFailure[] = [];
    const refused = await this.send(this.actionsOf(records, failed));
    for (const [index, refusal] of refused) {
      failed.push({
        index,
        error: new BadRecordError(
          `search-${refusal.type ?? refusal.status}`,
          `document ${records[index]!.key} refused by the search engine: ${refusal.status} ${refusal.type ?? ''} ${refusal.reason}`,
        ),
      });
    }
    return { failed };
  }
}
