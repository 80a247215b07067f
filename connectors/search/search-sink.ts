import { z } from 'zod';
import { readEndpoints } from '../endpoints.js';
import {
  BadConfigError,
  BadRecordError,
  defineSink,
  RetryableError,
  type ComponentContext,
  type Sink,
  type SinkRecord,
  type WriteFailure,
  type WriteResult,
} from '../../runtime/contract/index.js';
import { searchIndexNames, TOMBSTONE_FIELD, type SearchIndexName } from '../../commcare/search/index.js';
import { AdaptiveLimit } from './adaptive-limit.js';
import { sendBulk, type BulkAction, type BulkOutcome } from './bulk-writer.js';
import { searchEngine } from './create-search-engine.js';
import { BootstrapIndexTargets, type IndexTargets } from './index-targets.js';
import type { SearchEngine } from './search-engine.js';
import { readIndexDefinitions } from './search-mapping-folder.js';

const searchSinkConfig = z.object({
  url: z.string().optional().describe('Cluster URL; SEARCH_URL (or the local stack) when absent.'),
  engine: z
    .enum(['auto', 'opensearch', 'elasticsearch'])
    .default('auto')
    .describe(
      'Which client to use: `auto` asks the cluster (`GET /`) whether it is OpenSearch or Elasticsearch.',
    ),
  indexPrefix: z
    .string()
    .regex(/^([a-z0-9][a-z0-9_-]*)?$/, 'expected lowercase letters, digits, _ and -')
    .default('')
    .describe(
      'Prepended to every alias and index name (`<prefix>cases`), so deployments or tests can share a cluster.',
    ),
  mappings: z
    .string()
    .min(1)
    .default('pipelines/search')
    .describe('Folder of the index mapping files (`<index>.json`); relative to the working directory.'),
  indices: z
    .array(z.enum(searchIndexNames))
    .min(1)
    .optional()
    .describe('The indices this sink maintains; every index with a mapping file when absent.'),
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
indexPrefix: ''
mappings: pipelines/search`,
  create: async (config, ctx) => {
    const engine = await searchEngine(
      ctx.resources,
      config.url ?? readEndpoints().SEARCH_URL,
      config.engine,
      config.requestTimeoutMs,
    );
    return new SearchSink(config, engine, ctx);
  },
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
  private targets: IndexTargets | undefined;
  /** Bulk requests in flight across the lanes of this sink. */
  private readonly limit: AdaptiveLimit;

  constructor(
    private readonly config: SearchSinkConfig,
    readonly engine: SearchEngine,
    private readonly ctx: ComponentContext,
  ) {
    this.limit = new AdaptiveLimit(config.maxInFlight * ctx.delivery.maxInFlight);
  }

  async start(): Promise<void> {
    const all = await readIndexDefinitions(this.config.mappings);
    const wanted = new Set<SearchIndexName>(this.config.indices ?? all.keys());
    const definitions = new Map([...all].filter(([index]) => wanted.has(index)));
    for (const index of wanted) {
      if (!definitions.has(index))
        throw new BadConfigError('indices', `no mapping file for index ${index} in ${this.config.mappings}`);
    }
    const targets = new BootstrapIndexTargets(
      this.engine,
      definitions,
      this.config.indexPrefix,
      this.ctx.logger,
    );
    await targets.start();
    this.targets = targets;
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
      const writeTo = target ? this.targets!.writeTargets(target) : [];
      if (!writeTo.length)
        return fail(
          'search-unknown-index',
          `document ${record.key}: no index ${String(target)} in this sink`,
        );
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
      if (gone) await this.targets!.refresh().catch(() => undefined);
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
    if (!this.targets) throw new Error('search sink: write() before start()');
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
