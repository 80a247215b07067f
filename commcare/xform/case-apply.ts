/**
 * Applies one form's case blocks to the current states of the cases it touches. Pure: the caller
 * loads (and locks) the cases and writes the result.
 */
import type { Case, CaseIndex } from '../../schemas/generated/case.js';
import type { CaseBlock, CaseFieldUpdates } from './case-blocks.js';
import { parseDeviceDateMs } from './commcare-datetime.js';

/** What the form is, besides its case blocks. */
export interface CaseApplyContext {
  /** The domain the form was submitted to. */
  domain: string;
  /** The form's id (its instanceID). */
  formId: string;
  /** The server's time of this save, epoch ms: changed_on and server_modified_on. */
  serverNowMs: number;
  /** The form's user (meta/userID), for blocks without user_id. */
  formUserId: string | null;
  /** When the form was completed (meta/timeEnd), epoch ms, for blocks without date_modified; serverNowMs if null. */
  formTimeEndMs: number | null;
}

/** A block updates a case that does not exist and that the form does not create: answer 422. */
export class CaseNotFoundError extends Error {
  override readonly name = 'CaseNotFoundError';
  constructor(readonly caseId: string) {
    super(`Case ${caseId} does not exist and the form does not create it.`);
  }
}

/** A block touches a case of another domain: answer 422, and never reveal the case. */
export class CaseDomainMismatchError extends Error {
  override readonly name = 'CaseDomainMismatchError';
  constructor(readonly caseId: string) {
    super(`Case ${caseId} belongs to another domain.`);
  }
}

/** A block carries a date that is not an ISO date or date-time: answer 422. */
export class CaseDateError extends Error {
  override readonly name = 'CaseDateError';
  constructor(
    readonly caseId: string,
    readonly value: string,
  ) {
    super(`Case ${caseId} has an unreadable date: ${JSON.stringify(value)}.`);
  }
}

export type CaseApplyError = CaseNotFoundError | CaseDomainMismatchError | CaseDateError;

export type CaseApplyResult =
  | {
      ok: true;
      /** The new state of every case the form touched, in order of first touch. */ cases: Map<string, Case>;
    }
  | { ok: false; error: CaseApplyError };

/**
 * Applies the blocks in document order. Each touched case gets its version incremented once and the
 * form id appended to xform_ids once; `current` is never modified. Returns the first error as a
 * value, with no partial result.
 */
export function applyCaseBlocks(
  current: ReadonlyMap<string, Case>,
  blocks: readonly CaseBlock[],
  context: CaseApplyContext,
): CaseApplyResult {
  const changed = new Map<string, Case>();
  try {
    for (const block of blocks) {
      const before = changed.get(block.case_id) ?? current.get(block.case_id);
      const after = applyBlock(before, block, context);
      if (!changed.has(block.case_id)) {
        after.version = (before?.version ?? 0) + 1;
        if (!after.xform_ids.includes(context.formId)) after.xform_ids.push(context.formId);
      }
      changed.set(block.case_id, after);
    }
  } catch (error) {
    if (
      error instanceof CaseNotFoundError ||
      error instanceof CaseDomainMismatchError ||
      error instanceof CaseDateError
    ) {
      return { ok: false, error };
    }
    throw error;
  }
  return { ok: true, cases: changed };
}

function applyBlock(before: Case | undefined, block: CaseBlock, context: CaseApplyContext): Case {
  const caseId = block.case_id;
  if (before && before.domain !== context.domain) throw new CaseDomainMismatchError(caseId);
  const userId = block.user_id ?? context.formUserId;
  const modifiedOnMs =
    block.date_modified === null
      ? (context.formTimeEndMs ?? context.serverNowMs)
      : parseDateMs(caseId, block.date_modified);
  let next: Case;
  if (before) next = copyCase(before);
  else if (block.actions.some((action) => action.type === 'create')) {
    next = newCase(caseId, context, modifiedOnMs, userId);
  } else throw new CaseNotFoundError(caseId);

  for (const action of block.actions) {
    switch (action.type) {
      case 'create':
        applyKnownFields(next, action.fields, caseId);
        break;
      case 'update': {
        applyKnownFields(next, action.fields, caseId);
        if (action.fields.location_id !== undefined) next.location_id = action.fields.location_id || null;
        Object.assign(next.properties, action.properties);
        break;
      }
      case 'index':
        for (const change of action.indices) applyIndex(next, change);
        break;
      case 'close':
        next.closed = true;
        next.closed_on = modifiedOnMs;
        next.closed_by = userId;
        break;
      case 'attachment':
        // The Case schema carries no attachments; the receiver stores them beside the form.
        break;
    }
  }

  if (userId !== null) next.modified_by = userId;
  if (modifiedOnMs > next.modified_on) next.modified_on = modifiedOnMs;
  if (next.opened_by === null) next.opened_by = userId;
  if (next.owner_id === '' && userId !== null) next.owner_id = userId;
  next.changed_on = context.serverNowMs;
  next.server_modified_on = context.serverNowMs;
  return next;
}

/** CommCare's `_update_known_properties`: each non-empty known field is set (user_id is modified_by). */
function applyKnownFields(next: Case, fields: CaseFieldUpdates, caseId: string): void {
  setIfPresent(next, 'case_type', fields.case_type);
  setIfPresent(next, 'name', fields.name);
  setIfPresent(next, 'owner_id', fields.owner_id);
  setIfPresent(next, 'external_id', fields.external_id);
  if (fields.opened_on) next.opened_on = parseDateMs(caseId, fields.opened_on);
  if (fields.user_id) next.modified_by = fields.user_id;
}

function newCase(caseId: string, context: CaseApplyContext, openedOnMs: number, userId: string | null): Case {
  return {
    doc_id: caseId,
    domain: context.domain,
    doc_type: 'CommCareCase',
    version: 0,
    deleted: false,
    changed_on: context.serverNowMs,
    case_type: '',
    name: null,
    owner_id: '',
    opened_on: openedOnMs,
    opened_by: userId,
    modified_on: openedOnMs,
    modified_by: userId,
    server_modified_on: context.serverNowMs,
    closed: false,
    closed_on: null,
    closed_by: null,
    external_id: null,
    location_id: null,
    properties: {},
    indices: [],
    xform_ids: [],
    change_source: 'form',
  };
}

function copyCase(value: Case): Case {
  return {
    ...value,
    properties: { ...value.properties },
    indices: value.indices.map((index) => ({ ...index })),
    xform_ids: [...value.xform_ids],
  };
}

// Like HQ, an empty value in create or update leaves a field as it was.
function setIfPresent(
  target: Case,
  field: 'case_type' | 'name' | 'owner_id' | 'external_id',
  value: string | null | undefined,
): void {
  if (value) target[field] = value;
}

function applyIndex(target: Case, change: CaseIndex): void {
  const at = target.indices.findIndex((index) => index.identifier === change.identifier);
  if (change.referenced_id === '') {
    if (at >= 0) target.indices.splice(at, 1);
  } else if (at >= 0) target.indices[at] = { ...change };
  else target.indices.push({ ...change });
}

/**
 * Reads a device date or date-time as epoch ms, in the grammar CommCare's `iso8601.parse_date`
 * accepts (short offsets like `-04`, `YYYYMMDD`, commas in fractions…); without an offset it is UTC.
 */
export function parseXFormDateMs(value: string): number | null {
  return parseDeviceDateMs(value);
}

function parseDateMs(caseId: string, value: string): number {
  const ms = parseXFormDateMs(value);
  if (ms === null) throw new CaseDateError(caseId, value);
  return ms;
}
