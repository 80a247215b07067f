import { z } from 'zod';
/**
 * The `ucr` stage: a thin component over the UCR language. The data sources to evaluate and the
 * lookups they need come from the `ucr-catalog` resource the config names; the rows go to the
 * `ucr-postgres` sink it names, which writes them through the same catalog.
 */
import {
  BadRecordError,
  defineProcessor,
  resourceRef,
  sinkRef,
  type PipelineRecord,
  type Processor,
} from '../../runtime/contract/index.js';
import type { UcrDocumentChange, UcrRow } from '../../commcare/ucr/contract.js';
import { changeEventOf, referencedDocTypeOf, removesDocument } from '../../commcare/ucr/change-event-doc.js';
import { evaluateDocuments, type UcrDocumentJob } from '../../commcare/ucr/evaluate-documents.js';
import { eventToDoc } from '../../commcare/ucr/event-to-doc.js';
import { ucrCatalogType, type UcrCatalog } from '../../commcare/ucr/ucr-catalog.js';

const ucrStageConfig = z.object({
  catalog: resourceRef(
    ucrCatalogType,
    'The ucr-catalog resource (under `resources:`) whose data sources this stage evaluates and whose lookups it loads.',
  ),
  sink: sinkRef(
    ['ucr-postgres'],
    'The ucr-postgres sink the rows go to (routing.sink); it must name the same catalog.',
    { shares: ['catalog'] },
  ),
  maxLookupRounds: z
    .number()
    .int()
    .positive()
    .default(8)
    .describe(
      'How many times a batch may fetch missing lookups before a document still missing some fails (chains of related documents need one round per link).',
    ),
});

export type UcrStageConfig = z.output<typeof ucrStageConfig>;

export const ucrStage = defineProcessor({
  name: 'ucr',
  summary:
    'Evaluates every active UCR data source of a form or case change and emits the rows of each (data source, document).',
  description:
    'Reads Avro form and case change events, turns each into its CommCare document and evaluates every live or building ' +
    "data source of the event's domain and referenced doc type. Emits one record per (data source, document), routed " +
    'to the data source (routing.target) with the event version (routing.version), holding all the rows of the ' +
    'document, or none to remove it (deleted, archived, no longer matching, no rows). Lookups the expressions need ' +
    '(related cases, forms, users, locations) are fetched per batch, and evaluation repeats for the documents that ' +
    'missed them. The data sources and the lookups come from the ucr-catalog resource it names.',
  config: ucrStageConfig,
  example: `type: ucr
catalog: ucr
sink: reports`,
  create: (config, ctx) => new UcrStage(config, ctx.resource(ucrCatalogType, config.catalog)),
});

/** Pure with respect to I/O: everything it loads comes through the catalog. */
export class UcrStage implements Processor {
  /** The outputs of each record of the batch being prepared, computed in `prepare`. */
  private readonly prepared = new WeakMap<PipelineRecord, PipelineRecord[] | Error>();

  constructor(
    private readonly config: UcrStageConfig,
    private readonly catalog: UcrCatalog,
  ) {}

  async prepare(records: readonly PipelineRecord[]): Promise<void> {
    const services = this.catalog;
    const jobs: UcrDocumentJob[] = [];
    const jobRecords: PipelineRecord[] = [];
    for (const record of records) {
      const change = changeEventOf(record.value);
      if (!change) {
        this.prepared.set(record, []);
        continue;
      }
      const dataSources = services.dataSources(change.event.domain, referencedDocTypeOf(change));
      const docId = change.event.doc_id;
      const version = change.event.version;
      if (!dataSources.length) {
        this.prepared.set(record, []);
        continue;
      }
      if (removesDocument(change)) {
        this.prepared.set(
          record,
          dataSources.map(({ key }) => this.output(record, key, docId, version, [])),
        );
        continue;
      }
      jobs.push({ doc: eventToDoc(change), dataSources });
      jobRecords.push(record);
    }
    if (!jobs.length) return;
    const results = await evaluateDocuments(
      jobs,
      (keys) => services.fetch(keys),
      this.config.maxLookupRounds,
    );
    results.forEach((result, i) => {
      const record = jobRecords[i]!;
      const change = changeEventOf(record.value)!;
      if ('error' in result) {
        this.prepared.set(record, result.error);
        return;
      }
      this.prepared.set(
        record,
        result.outcomes.map((outcome) =>
          this.output(record, outcome.key, change.event.doc_id, change.event.version, outcome.rows),
        ),
      );
    });
  }

  process(record: PipelineRecord): PipelineRecord[] {
    const outputs = this.prepared.get(record);
    this.prepared.delete(record);
    if (outputs instanceof Error) {
      throw new BadRecordError('ucr-evaluate', `UCR evaluation failed: ${outputs.message}`, {
        cause: outputs,
      });
    }
    if (outputs === undefined) {
      // Not seen by prepare (the engine always prepares first): nothing to evaluate with.
      if (changeEventOf(record.value) === undefined) return [];
      throw new Error('ucr stage: a record reached process() without prepare()');
    }
    return outputs;
  }

  private output(
    record: PipelineRecord,
    target: string,
    docId: string,
    version: number,
    rows: readonly UcrRow[],
  ): PipelineRecord {
    const value: UcrDocumentChange = { docId, rows };
    return {
      key: docId,
      value,
      headers: record.headers,
      timestamp: record.timestamp,
      routing: {
        sink: this.config.sink,
        target,
        version,
        op: rows.length ? 'upsert' : 'delete',
      },
    };
  }
}
