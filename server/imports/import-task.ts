/**
 * The case import task (CommCare's case importer): reads the uploaded table from the blob store,
 * maps columns to case properties, finds each row's case by case_id or external_id, and creates or
 * updates cases in chunks, each chunk one system form saved like a submission (case application
 * rules, outbox). Every row gets a result (created, updated, failed and why); progress goes to the
 * task status. Chunks already done by an earlier attempt are not applied again.
 */
import { extractCaseBlocks, parseXForm } from '../../commcare/xform/index.js';
import { S3BlobStore } from '../../connectors/blob/blob-store.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { SubmissionStore } from '../../connectors/postgres/submission-store.js';
import type { TaskServices } from '../tasks/task-services.js';
import { caseImportForm, derivedId, type ImportCaseChange } from './case-import-form.js';
import { readTableFile } from './read-table-file.js';
import { submissionLimits } from '../receiver/submission-limits.js';
import { readServerSettings } from '../server-settings.js';

export interface ImportJobData {
  taskId: string;
  domain: string;
  user: { id: string; username: string };
  fileKey: string;
  fileName: string;
  caseType: string;
  /** Column header → case property (`name`, `owner_id`, `external_id` or any property). */
  mapping: Record<string, string>;
  /** The column that identifies the case, and what it holds. */
  searchColumn: string;
  searchField: 'case_id' | 'external_id';
  createNewCases: boolean;
  /** When the upload was accepted: the time of every form of this import. */
  submittedAt: string;
  outbox: { table: string; channel: string; topics: { forms: string; cases: string } };
}

export interface RowResult {
  row: number;
  outcome: 'created' | 'updated' | 'failed';
  case_id: string | null;
  error: string | null;
}

const chunkRows = 100;
const propertyName = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Mapping problems stop the import before any row is applied. */
export function checkMapping(
  job: Pick<ImportJobData, 'mapping' | 'searchColumn'>,
  headers: readonly string[],
): string | null {
  if (!headers.includes(job.searchColumn))
    return `The file has no column "${job.searchColumn}" to find cases by.`;
  for (const [column, property] of Object.entries(job.mapping)) {
    if (!headers.includes(column)) return `The mapping names a column the file does not have: "${column}".`;
    if (!propertyName.test(property) || property === 'case_id' || property === 'case_type')
      return `"${property}" (for column "${column}") is not a case property that can be set.`;
  }
  return null;
}

export const resultsKey = (services: TaskServices, taskId: string) =>
  `${services.queueOptions.prefix}:task:${taskId}:results`;

interface PlannedRow {
  row: number;
  change: ImportCaseChange | null;
  outcome: RowResult['outcome'];
  error: string | null;
}

async function planChunk(
  services: TaskServices,
  job: ImportJobData,
  headers: string[],
  rows: string[][],
  first: number,
): Promise<PlannedRow[]> {
  const searchIndex = headers.indexOf(job.searchColumn);
  const keys = rows.map((r) => r[searchIndex]!.trim()).filter(Boolean);
  const column = job.searchField === 'case_id' ? 'case_id' : "event->>'external_id'";
  const found = await services.db.any<{ case_id: string; key: string }>(
    `SELECT case_id, ${column} AS key FROM ${T.cases} WHERE domain = $1 AND case_type = $2 AND NOT deleted AND ${column} = ANY($3::text[])`,
    [job.domain, job.caseType, keys],
  );
  const byKey = new Map(found.map((f) => [f.key, f.case_id]));
  return rows.map((cells, i) => {
    const row = first + i + 2; // as a spreadsheet numbers it: the header is row 1
    const key = cells[searchIndex]!.trim();
    const updates: Record<string, string> = {};
    for (const [col, property] of Object.entries(job.mapping))
      updates[property] = cells[headers.indexOf(col)] ?? '';
    if (job.searchField === 'external_id' && key) updates.external_id ??= key;
    const existing = key ? byKey.get(key) : undefined;
    if (existing)
      return { row, change: { caseId: existing, create: null, updates }, outcome: 'updated', error: null };
    if (!job.createNewCases)
      return {
        row,
        change: null,
        outcome: 'failed',
        error: key
          ? `No ${job.caseType} case with ${job.searchField} ${key}.`
          : `Row has no ${job.searchColumn}.`,
      };
    if (job.searchField === 'case_id' && key)
      return {
        row,
        change: null,
        outcome: 'failed',
        error: `No ${job.caseType} case with case_id ${key}; new cases get their id from the server.`,
      };
    const caseId = derivedId(job.taskId, 'case', String(row));
    const name = updates.name ?? '';
    delete updates.name;
    return {
      row,
      change: {
        caseId,
        create: { caseType: job.caseType, name, ownerId: updates.owner_id ?? job.user.id },
        updates,
      },
      outcome: 'created',
      error: null,
    };
  });
}

async function applyChunk(
  store: SubmissionStore,
  job: ImportJobData,
  planned: PlannedRow[],
  formId: string,
): Promise<string | null> {
  const changes = planned.flatMap((p) => (p.change ? [p.change] : []));
  if (!changes.length) return null;
  const form = caseImportForm(formId, changes, job.user, job.submittedAt);
  const parsed = parseXForm(form.xml);
  const outcome = await store.save({
    domain: job.domain,
    xml: Buffer.from(form.xml),
    parsed,
    blocks: extractCaseBlocks(parsed.root),
    attachments: [],
    // The importing user, recorded as every form's submitter (authorship).
    auth: { userId: job.user.id, username: job.user.username, method: 'case-import' },
  });
  return outcome.status === 'rejected' ? outcome.error.message : null;
}

export async function runImportTask(
  job: ImportJobData,
  services: TaskServices,
  _signal: AbortSignal,
): Promise<{ created: number; updated: number; failed: number }> {
  await services.status.begin(job.taskId);
  const stream = await services.s3.getObject(services.bucket, job.fileKey);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const table = readTableFile(job.fileName, Buffer.concat(chunks));
  const problem = checkMapping(job, table.headers);
  if (problem) {
    await services.status.fail(job.taskId, problem);
    return { created: 0, updated: 0, failed: table.rows.length };
  }
  const blobs = new S3BlobStore({
    endpoint: services.endpoints.S3_ENDPOINT,
    region: services.region,
    accessKey: services.endpoints.S3_ACCESS_KEY,
    secretKey: services.endpoints.S3_SECRET_KEY,
    bucket: services.bucket,
  });
  const store = new SubmissionStore({
    db: services.db,
    blobs,
    topics: job.outbox.topics,
    outboxTable: job.outbox.table,
    outboxChannel: job.outbox.channel,
    ...(await submissionLimits(readServerSettings())),
  });
  const key = resultsKey(services, job.taskId);
  const total = table.rows.length;
  const counts = { created: 0, updated: 0, failed: 0 };
  for (let start = 0; start < total; start += chunkRows) {
    const chunkIndex = start / chunkRows;
    let stored = await services.redis.hget(key, String(chunkIndex));
    if (!stored) {
      const planned = await planChunk(
        services,
        job,
        table.headers,
        table.rows.slice(start, start + chunkRows),
        start,
      );
      const rejected = await applyChunk(
        store,
        job,
        planned,
        derivedId(job.taskId, 'chunk', String(chunkIndex)),
      );
      // A chunk refused as a whole (a row that cannot apply): each row alone, so only that row fails.
      if (rejected)
        for (const p of planned.filter((x) => x.change)) {
          const error = await applyChunk(store, job, [p], derivedId(job.taskId, 'row', String(p.row)));
          if (error) Object.assign(p, { outcome: 'failed', error, change: null });
        }
      const results: RowResult[] = planned.map((p) => ({
        row: p.row,
        outcome: p.outcome,
        case_id: p.change?.caseId ?? null,
        error: p.error,
      }));
      stored = JSON.stringify(results);
      await services.redis
        .multi()
        .hset(key, String(chunkIndex), stored)
        .expire(key, 7 * 86_400)
        .exec();
    }
    for (const r of JSON.parse(stored) as RowResult[]) counts[r.outcome]++;
    const done = Math.min(total, start + chunkRows);
    await services.status.progress(job.taskId, done, total, Math.floor((done / total) * 99));
  }
  await services.status.finish(job.taskId, { ...counts, done: total, total });
  return counts;
}

/** Every row's result, in file order. */
export async function importResults(services: TaskServices, taskId: string): Promise<RowResult[]> {
  const hash = await services.redis.hgetall(resultsKey(services, taskId));
  return Object.entries(hash)
    .sort(([a], [b]) => Number(a) - Number(b))
    .flatMap(([, json]) => JSON.parse(json) as RowResult[]);
}
