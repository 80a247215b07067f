import { z } from 'zod';
import { defineProcessor, type PipelineRecord, type Processor } from '../../runtime/contract/index.js';
import { searchActionsOf, searchIndexNames, type SearchIndexName } from '../../commcare/search/index.js';

const searchDocumentsConfig = z.object({
  indices: z
    .array(z.enum(searchIndexNames))
    .min(1)
    .default([...searchIndexNames])
    .describe('The indices to feed; a change that feeds none of them passes nothing on.'),
  sink: z
    .string()
    .min(1)
    .optional()
    .describe('Name of the search sink the documents go to (routing.sink); every sink when absent.'),
});

export type SearchDocumentsConfig = z.output<typeof searchDocumentsConfig>;

export const searchDocumentsStage = defineProcessor({
  name: 'search-documents',
  summary:
    'Turns form, case and configuration change events into the documents of the search indices, as CommCare’s pillows shape them.',
  description:
    'A form feeds `forms`; a case `cases` and `case_search`; a user, group, domain, application or location its own ' +
    'index. Each output is routed to its index (routing.target) with the event version (routing.version) and the document ' +
    'id as key; a deleted document is a delete (op: delete, null value), which the search sink keeps as a tombstone. ' +
    'Values that are not change events pass nothing on.',
  config: searchDocumentsConfig,
  example: `type: search-documents
indices: [forms, cases, case_search]`,
  create: (config) => new SearchDocumentsStage(config),
});

/** Pure: every output comes from the record's value alone. */
export class SearchDocumentsStage implements Processor {
  private readonly indices: ReadonlySet<SearchIndexName>;

  constructor(private readonly config: SearchDocumentsConfig) {
    this.indices = new Set(config.indices);
  }

  process(record: PipelineRecord): PipelineRecord[] {
    return searchActionsOf(record.value, this.indices).map((action) => ({
      key: action.id,
      value: action.doc,
      headers: record.headers,
      timestamp: record.timestamp,
      routing: {
        ...(this.config.sink ? { sink: this.config.sink } : {}),
        target: action.index,
        version: action.version,
        op: action.doc ? 'upsert' : 'delete',
      },
    }));
  }
}
