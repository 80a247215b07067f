/**
 * The OpenRosa form submission API as a route module: `POST /a/{domain}/receiver` (multipart with the
 * form in `xml_submission_file`, or a raw XML body), `HEAD` for the device's pre-flight, and
 * archive/unarchive of a form. Every refusal names what is wrong, is written as an OpenRosa
 * response, and writes nothing to any store.
 */
import type { ServerResponse } from 'node:http';
import {
  CaseDateError,
  CaseDomainMismatchError,
  CaseNotFoundError,
} from '../../commcare/xform/case-apply.js';
import { CaseBlockError, extractCaseBlocks } from '../../commcare/xform/case-blocks.js';
import { parseXForm, XFormMissingXmlnsError, XFormSyntaxError } from '../../commcare/xform/xform-parse.js';
import type { UserDirectory } from '../../connectors/couchdb/user-directory.js';
import {
  EventTooLarge,
  FormDomainConflict,
  type SubmissionStore,
} from '../../connectors/postgres/submission-store.js';
import { HttpError } from '../http/http-error.js';
import { multipartBoundary, MultipartError, parseMultipart } from '../http/multipart.js';
import { readBody, send, sendJson } from '../http/respond.js';
import type { DomainRequest, RouteModule } from '../http/route.js';
import { checkAuthorship } from './check-authorship.js';
import { openRosaResponse, openRosaVersion } from './openrosa-response.js';
import {
  checkAttachmentNames,
  checkFormIdParameter,
  checkSubmissionIdentifiers,
} from './submission-identifiers.js';
import { tracedRoute } from './traced-route.js';

export interface ReceiverRoutesOptions {
  store: SubmissionStore;
  directory: UserDirectory;
  /** Larger bodies are refused with 413 before they are read. */
  maxBodyBytes: number;
}

export function receiverRoutes(options: ReceiverRoutesOptions): RouteModule {
  const receive = tracedRoute('receive form', (request: DomainRequest) =>
    receiveSubmission(request, options, request.params.appId ?? request.url.searchParams.get('app_id')),
  );
  const preflight = (request: DomainRequest) => answerPreflight(request, options);
  return {
    name: 'receiver',
    writeError: writeOpenRosaError,
    routes: [
      {
        method: 'POST',
        path: '/a/:domain/receiver',
        access: 'domain-user',
        action: 'submit forms to',
        summary: 'Submit a form (OpenRosa).',
        handle: receive,
      },
      {
        method: 'POST',
        path: '/a/:domain/receiver/:appId',
        access: 'domain-user',
        action: 'submit forms to',
        summary: 'Submit a form of an application.',
        handle: receive,
      },
      // The pre-flight is authenticated like the post it precedes: a device without credentials
      // gets the 401 challenge here, before it sends a large body (OpenRosa's Form Submission API).
      {
        method: 'HEAD',
        path: '/a/:domain/receiver',
        access: 'domain-user',
        action: 'submit forms to',
        summary: 'OpenRosa pre-flight: 401 with the challenge, or 204 with the size limit.',
        handle: preflight,
      },
      {
        method: 'HEAD',
        path: '/a/:domain/receiver/:appId',
        access: 'domain-user',
        action: 'submit forms to',
        summary: 'OpenRosa pre-flight of an application.',
        handle: preflight,
      },
      {
        method: 'POST',
        path: '/a/:domain/forms/:formId/archive',
        access: 'domain-user',
        action: 'archive forms of',
        summary: 'Archive a form: its case changes are undone.',
        handle: (request) => archiveForm(request, options.store, true),
      },
      {
        method: 'POST',
        path: '/a/:domain/forms/:formId/unarchive',
        access: 'domain-user',
        action: 'unarchive forms of',
        summary: 'Unarchive a form: its case changes apply again.',
        handle: (request) => archiveForm(request, options.store, false),
      },
    ],
  };
}

/** Reached only with valid credentials: the server answers 404 for an unknown domain and 401 first. */
function answerPreflight({ res }: DomainRequest, options: ReceiverRoutesOptions): Promise<void> {
  res.writeHead(204, {
    'x-openrosa-version': openRosaVersion,
    'x-openrosa-accept-content-length': String(options.maxBodyBytes),
  });
  res.end();
  return Promise.resolve();
}

async function receiveSubmission(
  { req, res, domain, user }: DomainRequest,
  options: ReceiverRoutesOptions,
  appId: string | null,
): Promise<void> {
  const body = await readBody(req, res, options.maxBodyBytes);
  const { xml, attachments } = submissionParts(req.headers['content-type'], body);
  const { parsed, blocks } = parseSubmission(xml);
  checkSubmissionIdentifiers(parsed.metadata.instanceID, blocks);
  await checkAuthorship(parsed.metadata.userID, user, options.directory);
  const outcome = await options.store.save({
    domain,
    xml,
    parsed,
    blocks,
    attachments,
    appId,
    auth: { userId: user.id, username: user.username, method: user.method },
  });
  if (outcome.status === 'rejected') throw refusalOf(outcome.error);
  const message =
    outcome.status === 'duplicate'
      ? `Form ${outcome.formId} was already received; nothing changed.`
      : outcome.status === 'edited'
        ? `Form ${outcome.formId} was edited; ${outcome.caseIds.length} case(s) rebuilt.`
        : `Form ${outcome.formId} received; ${outcome.caseIds.length} case(s) changed.`;
  writeOpenRosa(res, 201, message, 'submit_success');
}

function parseSubmission(xml: Buffer) {
  try {
    const parsed = parseXForm(xml);
    return { parsed, blocks: extractCaseBlocks(parsed.root) };
  } catch (error) {
    if (error instanceof XFormSyntaxError)
      throw new HttpError(
        400,
        `Malformed XML at line ${error.line}, column ${error.column}: ${error.reason}`,
      );
    if (error instanceof XFormMissingXmlnsError) throw new HttpError(422, error.message);
    if (error instanceof CaseBlockError)
      throw new HttpError(
        422,
        `Bad case block at line ${error.line}, column ${error.column}: ${error.reason}`,
      );
    throw error;
  }
}

function refusalOf(error: unknown): HttpError {
  if (error instanceof FormDomainConflict) return new HttpError(409, error.message);
  if (error instanceof EventTooLarge) return new HttpError(413, error.message);
  if (
    error instanceof CaseNotFoundError ||
    error instanceof CaseDomainMismatchError ||
    error instanceof CaseDateError
  )
    return new HttpError(422, `${error.message} (case ${error.caseId})`);
  return new HttpError(422, (error as Error).message);
}

async function archiveForm(
  { req, res, domain, params }: DomainRequest,
  store: SubmissionStore,
  archive: boolean,
) {
  req.resume();
  const formId = params.formId!;
  checkFormIdParameter(formId);
  const outcome = await store.setArchived(domain, formId, archive);
  if (outcome.status === 'not-found') throw new HttpError(404, `No form ${formId} in domain ${domain}.`);
  sendJson(res, 200, {
    form_id: formId,
    archived: archive,
    changed: outcome.status === 'changed',
    case_ids: outcome.caseIds,
  });
}

/** The form XML and the attachments of a submission body, by its Content-Type. */
function submissionParts(
  contentType: string | undefined,
  body: Buffer,
): { xml: Buffer; attachments: { name: string; contentType: string; data: Buffer }[] } {
  let boundary;
  try {
    boundary = multipartBoundary(contentType);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  if (boundary === null) {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'text/xml' || type === 'application/xml' || type === '')
      return { xml: body, attachments: [] };
    throw new HttpError(415, `Unsupported Content-Type ${type}: send multipart/form-data or text/xml.`);
  }
  let parts;
  try {
    parts = parseMultipart(body, boundary);
  } catch (error) {
    if (error instanceof MultipartError) throw new HttpError(400, error.message);
    throw error;
  }
  const form = parts.find((part) => part.name === 'xml_submission_file');
  if (!form) throw new HttpError(400, 'The multipart body has no xml_submission_file part.');
  const attachments = parts
    .filter((part) => part !== form)
    .map((part) => ({ name: part.filename ?? part.name, contentType: part.contentType, data: part.data }));
  checkAttachmentNames(attachments.map((attachment) => attachment.name));
  const names = new Set<string>(['form.xml']);
  for (const attachment of attachments) {
    if (names.has(attachment.name))
      throw new HttpError(400, `Two parts of the submission are named ${attachment.name}.`);
    names.add(attachment.name);
  }
  return { xml: form.data, attachments };
}

type Nature = 'submit_success' | 'submit_error' | 'processing_failure';

function writeOpenRosa(
  res: ServerResponse,
  status: number,
  message: string,
  nature: Nature,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(res, status, 'text/xml; charset=utf-8', openRosaResponse(message, nature), {
    'x-openrosa-version': openRosaVersion,
    ...headers,
  });
}

/** Devices read refusals as OpenRosa responses; a 503 is a processing failure they retry. */
function writeOpenRosaError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>>,
): void {
  writeOpenRosa(res, status, message, status === 503 ? 'processing_failure' : 'submit_error', headers);
}
