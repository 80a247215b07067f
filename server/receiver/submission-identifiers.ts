/**
 * The identifiers of a submission must fit where CommCare keeps them (form, case and attachment
 * ids are 255-character columns in CommCare HQ's SQL tables) and in every store they become keys
 * of (blob object keys, file names, Kafka keys). Checked before anything is written, so an id that
 * does not fit is a 4xx the device can show, never a 500 from a store or a 503 it retries forever.
 */
import type { CaseBlock } from '../../commcare/xform/case-blocks.js';
import { hasControlCharacter } from '../http/has-control-character.js';
import { HttpError } from '../http/http-error.js';

/** CommCare HQ's limit for form ids, case ids and attachment names. */
export const maxIdentifierLength = 255;

const quoted = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

/** Null when the value is a usable identifier, else why not (for a refusal naming `what`). */
function problemOf(what: string, value: string): string | null {
  if (value.length > maxIdentifierLength)
    return `${what} ${quoted(value)} is ${value.length} characters long; at most ${maxIdentifierLength} are allowed.`;
  if (hasControlCharacter(value)) return `${what} ${quoted(value)} contains a control character.`;
  return null;
}

/** Throws a 422 naming the first form id, case id or index target that does not fit. */
export function checkSubmissionIdentifiers(instanceId: string, blocks: readonly CaseBlock[]): void {
  const problem =
    problemOf('meta/instanceID', instanceId) ??
    blocks
      .flatMap((block) => [
        problemOf('case_id', block.case_id),
        ...block.actions.flatMap((action) =>
          action.type === 'index'
            ? action.indices.map((index) =>
                problemOf(`index ${index.identifier} of case`, index.referenced_id),
              )
            : [],
        ),
      ])
      .find((found) => found !== null);
  if (problem) throw new HttpError(422, problem);
}

/** Throws a 400 naming the first attachment name that does not fit. */
export function checkAttachmentNames(names: readonly string[]): void {
  for (const name of names) {
    const problem = problemOf('attachment name', name);
    if (problem) throw new HttpError(400, problem);
  }
}

/** Throws a 400 when a form id taken from a URL cannot be a form id. */
export function checkFormIdParameter(formId: string): void {
  const problem = problemOf('form id', formId);
  if (problem) throw new HttpError(400, problem);
}
