/**
 * Saves submissions in the primary store: the form, the cases it changes and one outbox row per
 * changed document, in one PostgreSQL transaction, after the raw XML and attachments are in the
 * blob store. Also edits (a new body for a known instanceID), archiving and unarchiving, which
 * rebuild the cases they affect from their forms in received order.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Case } from '../../schemas/generated/case.js';
import type { Form, FormAttachment } from '../../schemas/generated/form.js';
import { insertOutboxRows, outboxRowsSql, type OutboxRow } from '../outbox/outbox-table.js';
import { pgp, type Database } from './postgres-pool.js';
import { blobKey, type BlobStore } from '../blob/blob-store.js';
import { formBodyKey, formBodyUrl, publishedForm } from '../blob/form-body.js';
import { applyCaseBlocks, parseXFormDateMs, type CaseApplyError } from '../../commcare/xform/case-apply.js';
import { caseIdsOf, type CaseBlock } from '../../commcare/xform/case-blocks.js';
import { primaryStoreTables as T } from './primary-store.js';
import type { ParsedXForm } from '../../commcare/xform/xform-parse.js';

/** A submission the receiver has parsed and authenticated. */
export interface Submission {
  domain: string;
  xml: Buffer;
  parsed: ParsedXForm;
  blocks: CaseBlock[];
  attachments: { name: string; contentType: string; data: Buffer }[];
  /** The application the device says the form belongs to (OpenRosa query or meta), if known. */
  appId?: string | null;
  buildId?: string | null;
  /** Who submitted it: the authenticated user, recorded beside the form's own meta. */
  auth: SubmissionAuth;
}

/** The user whose credentials a submission came with. */
export interface SubmissionAuth {
  userId: string;
  username: string;
  /** basic, apikey or session. */
  method: string;
}

export type SaveOutcome =
  | { status: 'created' | 'edited' | 'duplicate'; formId: string; caseIds: string[] }
  | { status: 'rejected'; error: CaseApplyError | FormDomainConflict | EventTooLarge };

/**
 * A change event of the submission would be larger than its topic accepts even with the form's
 * body carried aside (tens of thousands of case ids, a case whose properties grew too large): it
 * could be saved but never published, so it is refused before anything is saved.
 */
export class EventTooLarge extends Error {
  override readonly name = 'EventTooLarge';
  constructor(
    readonly docId: string,
    readonly kind: 'form' | 'case',
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `The ${kind === 'form' ? `change event of form ${docId}` : `change event of case ${docId} after this form`} would be ${bytes} bytes; its topic accepts at most ${maxBytes}.`,
    );
  }
}

/** The instanceID is already used by a form of another domain. */
export class FormDomainConflict extends Error {
  override readonly name = 'FormDomainConflict';
  constructor(readonly formId: string) {
    super(`Form ${formId} already exists in another domain.`);
  }
}

export type ArchiveOutcome = { status: 'changed' | 'unchanged'; caseIds: string[] } | { status: 'not-found' };

export interface SubmissionStoreOptions {
  db: Database;
  blobs: BlobStore;
  topics: { forms: string; cases: string };
  outboxTable?: string;
  outboxChannel?: string;
  /** A form whose question tree is larger (as JSON) is published with its body in the blob store. */
  maxInlineFormBytes: number;
  /** The largest change event (as JSON) the topics accept; a submission making a larger one is refused. */
  maxEventBytes: number;
}

interface FormRow {
  form_id: string;
  domain: string;
  state: string;
  body_sha256: string;
  version: bigint;
  seq: bigint;
  event: Form;
}

interface CaseRow {
  case_id: string;
  domain: string;
  version: bigint;
  deleted: boolean;
  event: Case;
}

// Two submissions creating the same new case race on its insert; a deadlock is possible when
// forms touch overlapping cases in different orders. Both succeed when simply tried again.
const retriedCodes = new Set(['23505', '40P01', '40001']);
const maxAttempts = 5;

export class SubmissionStore {
  private readonly outbox: { table?: string; channel?: string };

  constructor(private readonly options: SubmissionStoreOptions) {
    this.outbox = {
      ...(options.outboxTable ? { table: options.outboxTable } : {}),
      ...(options.outboxChannel ? { channel: options.outboxChannel } : {}),
    };
  }

  /** Saves one submission; a rejection leaves nothing written in PostgreSQL. */
  async save(submission: Submission): Promise<SaveOutcome> {
    const formId = submission.parsed.metadata.instanceID;
    const bodySha = createHash('sha256').update(submission.xml).digest('hex');
    const { files, stored } = this.planBlobs(submission, formId, bodySha);
    // A form event too large for its topic is refused before anything is written anywhere.
    const tooLarge = this.oversized(formEvent(submission, stored, Date.now(), null), []);
    if (tooLarge) return { status: 'rejected', error: tooLarge };
    // Blobs first: a crash after them leaves an unreferenced object, never a form without its XML.
    await Promise.all(files.map((file) => this.options.blobs.put(file.key, file.data, file.contentType)));
    const caseIds = caseIdsOf(submission.blocks);
    return this.retrying<SaveOutcome>(() =>
      // The usual submission is two round trips: BEGIN with its locks, then every write with
      // COMMIT. Statements are formatted by pg-promise and sent together as one simple query.
      this.options.db.task('submission', async (t) => {
        let open = true;
        try {
          const [, forms, cases] = await t.multi<FormRow | CaseRow>(
            [
              'BEGIN',
              pgp.as.format(
                `SELECT form_id, domain, state, body_sha256, version, seq, event FROM ${T.forms} WHERE form_id = $1 FOR UPDATE`,
                [formId],
              ),
              // Sorted, so that two forms touching the same cases lock them in the same order.
              caseIds.length
                ? pgp.as.format(
                    `SELECT case_id, domain, version, deleted, event FROM ${T.cases} WHERE case_id IN ($1:csv) ORDER BY case_id FOR UPDATE`,
                    [[...caseIds].sort()],
                  )
                : 'SELECT 1 WHERE false',
            ].join(';\n'),
          );
          const existing = (forms![0] as FormRow | undefined) ?? null;
          const current = new Map((cases as CaseRow[]).map((row) => [row.case_id, row]));
          const outcome = await this.decide(t, submission, existing, current, stored, bodySha);
          if (outcome.status === 'created' || outcome.status === 'edited') {
            await t.none([...outcome.statements, 'COMMIT'].join(';\n'));
            open = false;
            return { status: outcome.status, formId, caseIds: outcome.caseIds };
          }
          await t.none('ROLLBACK');
          open = false;
          return outcome as SaveOutcome;
        } finally {
          if (open) await t.none('ROLLBACK').catch(() => undefined);
        }
      }),
    );
  }

  /** What a submission does, given the locked form row and cases: the statements to commit, or why not. */
  private async decide(
    t: Tx,
    submission: Submission,
    existing: FormRow | null,
    current: Map<string, CaseRow>,
    stored: StoredBlobs,
    bodySha: string,
  ): Promise<
    | { status: 'created' | 'edited'; statements: string[]; caseIds: string[] }
    | { status: 'duplicate'; formId: string; caseIds: string[] }
    | { status: 'rejected'; error: CaseApplyError | FormDomainConflict | EventTooLarge }
  > {
    const formId = submission.parsed.metadata.instanceID;
    if (existing && existing.domain !== submission.domain) {
      return { status: 'rejected', error: new FormDomainConflict(formId) };
    }
    if (existing?.body_sha256 === bodySha)
      return { status: 'duplicate', formId, caseIds: existing.event.case_ids };
    const now = Date.now();
    const event = formEvent(submission, stored, now, existing);
    if (existing) {
      const check = checkCases(submission.domain, current, submission.blocks);
      if (check) return { status: 'rejected', error: check };
      return this.edit(t, submission, existing, event, bodySha, now);
    }
    return this.create(submission, event, bodySha, now, current);
  }

  /** Archives (`archive: true`) or restores a form of the domain, rebuilding the cases it touched. */
  async setArchived(domain: string, formId: string, archive: boolean): Promise<ArchiveOutcome> {
    return this.retrying<ArchiveOutcome>(() =>
      this.options.db.tx('archive', async (t) => {
        const form = await t.oneOrNone<FormRow>(
          `SELECT form_id, domain, state, body_sha256, version, seq, event FROM ${T.forms} WHERE form_id = $1 FOR UPDATE`,
          [formId],
        );
        if (!form || form.domain !== domain || (form.state !== 'normal' && form.state !== 'archived')) {
          return { status: 'not-found' } as const;
        }
        const target = archive ? 'archived' : 'normal';
        if (form.state === target) return { status: 'unchanged', caseIds: form.event.case_ids } as const;
        const now = Date.now();
        const event: Form = {
          ...form.event,
          doc_type: archive ? 'XFormArchived' : 'XFormInstance',
          state: target,
          version: Number(form.version) + 1,
          changed_on: now,
          server_modified_on: now,
        };
        await t.none(`UPDATE ${T.forms} SET state = $2, version = $3, event = $4:json WHERE form_id = $1`, [
          formId,
          target,
          event.version,
          event,
        ]);
        const cases = await this.rebuildCases(t, domain, form.event.case_ids, now);
        await insertOutboxRows(t, [this.formRow(event), ...cases.map((c) => this.caseRow(c))], this.outbox);
        return { status: 'changed', caseIds: form.event.case_ids } as const;
      }),
    );
  }

  private create(
    submission: Submission,
    event: Form,
    bodySha: string,
    now: number,
    current: Map<string, CaseRow>,
  ):
    | { status: 'created'; statements: string[]; caseIds: string[] }
    | { status: 'rejected'; error: CaseApplyError | EventTooLarge } {
    const formId = event.doc_id;
    const caseIds = event.case_ids;
    const live = new Map<string, Case>();
    for (const [id, row] of current)
      if (!row.deleted) live.set(id, { ...row.event, version: Number(row.version) });
    const applied = applyCaseBlocks(live, submission.blocks, {
      domain: submission.domain,
      formId,
      serverNowMs: now,
      formUserId: submission.parsed.metadata.userID,
      formTimeEndMs: timeEndMs(submission),
    });
    if (!applied.ok) return { status: 'rejected', error: applied.error };
    // A case deleted earlier and created again continues its version sequence.
    for (const [id, next] of applied.cases) {
      const row = current.get(id);
      if (row && row.deleted) next.version = Number(row.version) + 1;
    }
    const cases = [...applied.cases.values()];
    const tooLarge = this.oversized(event, cases);
    if (tooLarge) return { status: 'rejected', error: tooLarge };
    return {
      status: 'created',
      caseIds,
      statements: [
        insertFormSql(event, bodySha, submission),
        ...writeCasesSql(cases),
        ...addTransactionsSql(formId, caseIds),
        ...outboxRowsSql([this.formRow(event), ...cases.map((c) => this.caseRow(c))], this.outbox),
      ],
    };
  }

  private async edit(
    t: Tx,
    submission: Submission,
    existing: FormRow,
    event: Form,
    bodySha: string,
    now: number,
  ): Promise<
    | { status: 'edited'; statements: string[]; caseIds: string[] }
    | { status: 'rejected'; error: EventTooLarge }
  > {
    const formId = existing.form_id;
    // The old version stays, as CommCare's XFormDeprecated, under a new id pointing back.
    const deprecatedId = randomUUID();
    const deprecated: Form = {
      ...existing.event,
      doc_id: deprecatedId,
      doc_type: 'XFormDeprecated',
      state: 'deprecated',
      version: 1,
      changed_on: now,
      server_modified_on: now,
    };
    await t.none(
      `INSERT INTO ${T.forms} (form_id, domain, xmlns, state, user_id, received_on, version, body_sha256, orig_id, time_end_ms, case_blocks, event)
       SELECT $2, domain, xmlns, 'deprecated', user_id, received_on, 1, body_sha256, form_id, time_end_ms, case_blocks, $3:json
       FROM ${T.forms} WHERE form_id = $1`,
      [formId, deprecatedId, deprecated],
    );
    const newCaseIds = event.case_ids;
    const affected = [...new Set([...existing.event.case_ids, ...newCaseIds])];
    await t.none(
      `UPDATE ${T.forms} SET xmlns = $2, user_id = $3, version = $4, body_sha256 = $5, time_end_ms = $6,
         case_blocks = $7:json, event = $8:json WHERE form_id = $1`,
      [
        formId,
        event.xmlns,
        event.user_id,
        event.version,
        bodySha,
        timeEndMs(submission),
        submission.blocks,
        event,
      ],
    );
    // The edited form keeps its place in received order.
    await t.none(
      [
        pgp.as.format(`DELETE FROM ${T.caseTransactions} WHERE form_id = $1`, [formId]),
        ...addTransactionsSql(formId, newCaseIds),
      ].join(';\n'),
    );
    const cases = await this.rebuildCases(t, submission.domain, affected, now);
    const tooLarge = this.oversized(event, cases);
    // Refused before COMMIT: save() rolls the edit back.
    if (tooLarge) return { status: 'rejected', error: tooLarge };
    return {
      status: 'edited',
      caseIds: newCaseIds,
      statements: outboxRowsSql(
        [this.formRow(deprecated), this.formRow(event), ...cases.map((c) => this.caseRow(c))],
        this.outbox,
      ),
    };
  }

  /**
   * Recomputes each case from the normal (not archived, not deprecated) forms that touched it, in
   * received order, and writes the result with a version above the current one. A case no form
   * creates any more becomes a deleted case (CommCareCase-Deleted) and comes back if one does again.
   */
  private async rebuildCases(t: Tx, domain: string, caseIds: string[], now: number): Promise<Case[]> {
    if (caseIds.length === 0) return [];
    const current = await lockCases(t, caseIds);
    const forms = await t.manyOrNone<{
      form_id: string;
      user_id: string | null;
      time_end_ms: bigint | null;
      case_blocks: CaseBlock[];
    }>(
      `SELECT DISTINCT f.form_id, f.user_id, f.time_end_ms, f.case_blocks, f.seq
       FROM ${T.caseTransactions} ct JOIN ${T.forms} f ON f.form_id = ct.form_id
       WHERE ct.case_id = ANY($1) AND f.state = 'normal' AND f.domain = $2
       ORDER BY f.seq`,
      [caseIds, domain],
    );
    const wanted = new Set(caseIds);
    let state = new Map<string, Case>();
    for (const form of forms) {
      const blocks = form.case_blocks.filter((b) => wanted.has(b.case_id));
      const applied = applyCaseBlocks(state, blocks, {
        domain,
        formId: form.form_id,
        serverNowMs: now,
        formUserId: form.user_id,
        formTimeEndMs: form.time_end_ms === null ? null : Number(form.time_end_ms),
      });
      // A form whose blocks no longer apply (its case's creating form is archived) changes nothing.
      if (applied.ok) state = new Map([...state, ...applied.cases]);
    }
    const result: Case[] = [];
    for (const id of caseIds) {
      const row = current.get(id);
      if (row && row.domain !== domain) continue;
      const previousVersion = row ? Number(row.version) : 0;
      const rebuilt = state.get(id);
      if (rebuilt) {
        result.push({ ...rebuilt, version: previousVersion + 1, changed_on: now, server_modified_on: now });
      } else if (row && !row.deleted) {
        result.push({
          ...row.event,
          doc_type: 'CommCareCase-Deleted',
          deleted: true,
          version: previousVersion + 1,
          changed_on: now,
          server_modified_on: now,
        });
      }
    }
    const statements = writeCasesSql(result);
    if (statements.length) await t.none(statements.join(';\n'));
    return result;
  }

  private formRow(event: Form): OutboxRow {
    return {
      topic: this.options.topics.forms,
      docId: event.doc_id,
      docType: event.doc_type,
      version: event.version,
      // The primary store keeps the whole form; the event leaves a large body in the blob store.
      payload: publishedForm(event),
    };
  }

  /** The first event of the form or its cases that its topic could not accept, as published. */
  private oversized(form: Form, cases: readonly Case[]): EventTooLarge | null {
    const max = this.options.maxEventBytes;
    const formBytes = Buffer.byteLength(JSON.stringify(publishedForm(form)));
    if (formBytes > max) return new EventTooLarge(form.doc_id, 'form', formBytes, max);
    for (const event of cases) {
      const bytes = Buffer.byteLength(JSON.stringify(event));
      if (bytes > max) return new EventTooLarge(event.doc_id, 'case', bytes, max);
    }
    return null;
  }

  private caseRow(event: Case): OutboxRow {
    return {
      topic: this.options.topics.cases,
      docId: event.doc_id,
      docType: event.doc_type,
      version: event.version,
      payload: event,
    };
  }

  /**
   * Where the raw XML, the attachments and (when too large to carry in the event) the question
   * tree's JSON go: keyed by the body's digest, so an edit never overwrites them. Nothing written.
   */
  private planBlobs(submission: Submission, formId: string, bodySha: string): BlobPlan {
    const prefix = bodySha.slice(0, 16);
    const files = [
      { name: 'form.xml', contentType: 'text/xml', data: submission.xml },
      ...submission.attachments,
    ].map((file) => ({ ...file, key: blobKey(submission.domain, formId, `${prefix}-${file.name}`) }));
    const body = Buffer.from(JSON.stringify(submission.parsed.form));
    if (body.length > this.options.maxInlineFormBytes)
      files.push({
        name: 'form.json',
        contentType: 'application/json',
        data: body,
        key: formBodyKey(submission.domain, formId, bodySha),
      });
    const carried = files.length > submission.attachments.length + 1 ? files.at(-1)! : null;
    return {
      files,
      stored: {
        // The question tree is not a file of the submission: it is not listed among them.
        attachments: files
          .filter((file) => file !== carried)
          .map((file) => ({
            name: file.name,
            content_type: file.contentType,
            content_length: file.data.length,
            blob_key: file.key,
          })),
        formBodyUrl: carried ? formBodyUrl(this.options.blobs, carried.key) : null,
      },
    };
  }

  private async retrying<R>(work: () => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= maxAttempts || !code || !retriedCodes.has(code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
      }
    }
  }
}

type Tx = Parameters<Parameters<Database['task']>[1]>[0];

/** What goes to the blob store before the transaction: the files, and where a large body is. */
interface StoredBlobs {
  attachments: FormAttachment[];
  formBodyUrl: string | null;
}

interface BlobPlan {
  files: { name: string; contentType: string; data: Buffer; key: string }[];
  stored: StoredBlobs;
}

/** Refuses an edit whose blocks touch another domain's cases or update cases nobody creates. */
function checkCases(
  domain: string,
  current: Map<string, CaseRow>,
  blocks: CaseBlock[],
): CaseApplyError | null {
  const live = new Map<string, Case>();
  for (const [id, row] of current) if (row.domain !== domain || !row.deleted) live.set(id, row.event);
  const applied = applyCaseBlocks(live, blocks, {
    domain,
    formId: 'check',
    serverNowMs: Date.now(),
    formUserId: null,
    formTimeEndMs: null,
  });
  return applied.ok ? null : applied.error;
}

function timeEndMs(submission: Submission): number | null {
  const text = submission.parsed.metadata.timeEnd;
  return text ? parseXFormDateMs(text) : null;
}

function formEvent(submission: Submission, stored: StoredBlobs, now: number, existing: FormRow | null): Form {
  const { parsed } = submission;
  const meta = parsed.metadata;
  const dateMs = (value: string | null) => (value ? parseXFormDateMs(value) : null);
  const rootAttribute = (name: string) => {
    const value = parsed.form[`@${name}`];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  return {
    doc_id: meta.instanceID,
    domain: submission.domain,
    doc_type: 'XFormInstance',
    version: existing ? Number(existing.version) + 1 : 1,
    deleted: false,
    changed_on: now,
    xmlns: parsed.xmlns,
    form_name: rootAttribute('name'),
    app_id: submission.appId ?? null,
    build_id: submission.buildId ?? null,
    user_id: meta.userID,
    username: meta.username,
    device_id: meta.deviceID,
    auth_user_id: submission.auth.userId,
    auth_username: submission.auth.username,
    auth_method: submission.auth.method,
    received_on: existing ? existing.event.received_on : now,
    server_modified_on: now,
    time_start: dateMs(meta.timeStart),
    time_end: dateMs(meta.timeEnd),
    state: 'normal',
    case_ids: caseIdsOf(submission.blocks),
    attachments: stored.attachments,
    form: parsed.form,
    form_body_url: stored.formBodyUrl,
  };
}

async function lockCases(t: Tx, caseIds: string[]): Promise<Map<string, CaseRow>> {
  if (caseIds.length === 0) return new Map();
  // Sorted, so that two forms touching the same cases lock them in the same order.
  const rows = await t.manyOrNone<CaseRow>(
    `SELECT case_id, domain, version, deleted, event FROM ${T.cases} WHERE case_id = ANY($1) ORDER BY case_id FOR UPDATE`,
    [[...caseIds].sort()],
  );
  return new Map(rows.map((row) => [row.case_id, row]));
}

// Statements are formatted here and sent together: one round trip for all of a form's writes.

function insertFormSql(event: Form, bodySha: string, submission: Submission): string {
  return pgp.as.format(
    `INSERT INTO ${T.forms} (form_id, domain, xmlns, state, user_id, received_on, version, body_sha256, time_end_ms, case_blocks, event)
     VALUES ($1, $2, $3, 'normal', $4, to_timestamp($5 / 1000.0), $6, $7, $8, $9:json, $10:json)`,
    [
      event.doc_id,
      event.domain,
      event.xmlns,
      event.user_id,
      event.received_on,
      event.version,
      bodySha,
      timeEndMs(submission),
      submission.blocks,
      event,
    ],
  );
}

function writeCasesSql(cases: Case[]): string[] {
  if (cases.length === 0) return [];
  const ids = cases.map((c) => c.doc_id);
  const statements = [
    pgp.as.format(
      `INSERT INTO ${T.cases} (case_id, domain, case_type, owner_id, closed, deleted, version, event) VALUES $1:raw
       ON CONFLICT (case_id) DO UPDATE SET case_type = excluded.case_type, owner_id = excluded.owner_id,
         closed = excluded.closed, deleted = excluded.deleted, version = excluded.version, event = excluded.event`,
      [
        cases
          .map((c) =>
            pgp.as.format('($1, $2, $3, $4, $5, $6, $7, $8:json)', [
              c.doc_id,
              c.domain,
              c.case_type,
              c.owner_id,
              c.closed,
              c.deleted,
              c.version,
              c,
            ]),
          )
          .join(', '),
      ],
    ),
    pgp.as.format(`DELETE FROM ${T.caseIndices} WHERE case_id IN ($1:csv)`, [ids]),
  ];
  const indices = cases.filter((c) => !c.deleted).flatMap((c) => c.indices.map((index) => ({ c, index })));
  if (indices.length) {
    statements.push(
      `INSERT INTO ${T.caseIndices} (case_id, identifier, referenced_id, referenced_type, relationship) VALUES ` +
        indices
          .map(({ c, index }) =>
            pgp.as.format('($1, $2, $3, $4, $5)', [
              c.doc_id,
              index.identifier,
              index.referenced_id,
              index.referenced_type,
              index.relationship,
            ]),
          )
          .join(', '),
    );
  }
  return statements;
}

/** Links the form to the cases it touches, at the form's place in received order. */
function addTransactionsSql(formId: string, caseIds: string[]): string[] {
  if (caseIds.length === 0) return [];
  return [
    pgp.as.format(
      `INSERT INTO ${T.caseTransactions} (case_id, form_id, received_seq)
       SELECT c, f.form_id, f.seq FROM ${T.forms} f, unnest($2::text[]) AS c WHERE f.form_id = $1
       ON CONFLICT DO NOTHING`,
      [formId, caseIds],
    ),
  ];
}
