import { z } from 'zod';
/**
 * The `search-documents` stage: a thin component over commcare/search. Which indices to feed comes
 * from the `search-index` resource it names (the indices with a live or building physical index);
 * the documents go to the `search` sink it names, which writes them through the same resource.
 */
import {
  defineProcessor,
  resourceRef,
  sinkRef,
  type PipelineRecord,
  type Processor,
} from '../../runtime/contract/index.js';
import {
  searchActionsOf,
  searchIndexNames,
  searchIndexType,
  type SearchIndexCatalog,
  type SearchIndexName,
} from '../../commcare/search/index.js';

const searchDocumentsConfig = z.object({
  catalog: resourceRef(
    searchIndexType,
    'The search-index resource (under `resources:`) whose indices this stage feeds.',
  ),
  sink: sinkRef(
    ['search'],
    'The search sink the documents go to (routing.sink); it must name the same catalog.',
    {
      shares: ['catalog'],
    },
  ),
  indices: z
    .array(z.enum(searchIndexNames))
    .min(1)
    .default([...searchIndexNames])
    .describe(
      'The indices to feed (of those the resource keeps); a change that feeds none of them passes nothing on.',
    ),
});

export type SearchDocumentsConfig = z.output<typeof searchDocumentsConfig>;

export const searchDocumentsStage = defineProcessor({
  name: 'search-documents',
  summary:
    'Turns form, case and configuration change events into the documents of the search indices, as CommCare’s pillows shape them.',
  description:
    'A form feeds `forms`; a case `cases` and `case_search`; a user, group, domain, application or location its own ' +
    'index — each only while the search-index resource keeps that index. Each output is routed to its index ' +
    '(routing.target) with the event version (routing.version) and the document id as key; a deleted document is a ' +
    'delete (op: delete, null value), which the search sink keeps as a tombstone. Values that are not change events ' +
    'pass nothing on.',
  config: searchDocumentsConfig,
  example: `type: search-documents
catalog: search
sink: search
indices: [forms, cases, case_search]`,
  create: (config, ctx) => new SearchDocumentsStage(config, ctx.resource(searchIndexType, config.catalog)),
});

/** Pure: every output comes from the record's value and the indices the catalog keeps. */
export class SearchDocumentsStage implements Processor {
  private readonly wanted: ReadonlySet<SearchIndexName>;

  constructor(
    private readonly config: SearchDocumentsConfig,
    private readonly catalog: SearchIndexCatalog,
  ) {
    this.wanted = new Set(config.indices);
  }

  process(record: PipelineRecord): PipelineRecord[] {
    const indices = new Set(this.catalog.indices().filter((index) => this.wanted.has(index)));
    if (!indices.size) return [];
    return searchActionsOf(record.value, indices).map((action) => ({
      key: action.id,
      value: action.doc,
      headers: record.headers,
      timestamp: record.timestamp,
      routing: {
        sink: this.config.sink,
        target: action.index,
        version: action.version,
        op: action.doc ? 'upsert' : 'delete',
      },
    }));
  }
}
