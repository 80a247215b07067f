/**
 * The OpenRosa form submission API over node:http: `POST /a/{domain}/receiver` (multipart with the
 * form in `xml_submission_file`, or a raw XML body), `HEAD` for the device's pre-flight, and
 * archive/unarchive of a form. Every refusal names what is wrong and writes nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../runtime/contract/index.js';
import { isRetryable } from '../../runtime/contract/index.js';
import {
  CaseDateError,
  CaseDomainMismatchError,
  CaseNotFoundError,
} from '../../commcare/xform/case-apply.js';
import { CaseBlockError, extractCaseBlocks } from '../../commcare/xform/case-blocks.js';
import { multipartBoundary, MultipartError, parseMultipart } from '../http/multipart.js';
import { openRosaResponse, openRosaVersion } from './openrosa-response.js';
import { authenticate, type CredentialCache } from '../auth/submission-auth.js';
import { FormDomainConflict, type SubmissionStore } from '../../connectors/postgres/submission-store.js';
import type { UserDirectory } from '../../connectors/couchdb/user-directory.js';
import {
  parseXForm,
  XFormMissingInstanceIdError,
  XFormSyntaxError,
} from '../../commcare/xform/xform-parse.js';

/** Answers a request it recognises (resolving true), or resolves false to let the next one try. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface ReceiverOptions {
  store: SubmissionStore;
  directory: UserDirectory;
  credentials: CredentialCache;
  /** Larger bodies are refused with 413 before they are read. */
  maxBodyBytes: number;
  logger: Logger;
  /**
   * Other endpoints served on the same port (reports), tried after the receiver's own. Under
   * `/a/<domain>/` they are reached only by a user of that domain, authenticated as for submitting.
   */
  handlers?: RequestHandler[];
}

const receiverPath = /^\/a\/([A-Za-z0-9][A-Za-z0-9_-]{0,62})\/receiver(?:\/([A-Za-z0-9_-]+))?\/?$/;
const domainPath = /^\/a\/([A-Za-z0-9][A-Za-z0-9_-]{0,62})\//;
const archivePath = /^\/a\/([A-Za-z0-9][A-Za-z0-9_-]{0,62})\/forms\/([^/]{1,255})\/(archive|unarchive)\/?$/;

/** An HTTP refusal: status, message, extra headers. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function createReceiverServer(options: ReceiverOptions): Server {
  const receiver = new SubmissionReceiver(options);
  const server = createServer((req, res) => {
    receiver.handle(req, res).catch((error: unknown) => {
      options.logger.error({ err: error, url: req.url }, 'The receiver failed to answer a request.');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error.\n');
      else res.destroy();
    });
  });
  // Devices and load balancers keep connections open between forms.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

class SubmissionReceiver {
  constructor(private readonly options: ReceiverOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://receiver');
    try {
      const receive = receiverPath.exec(url.pathname);
      if (receive)
        return await this.receive(req, res, receive[1]!, receive[2] ?? url.searchParams.get('app_id'));
      const archive = archivePath.exec(url.pathname);
      if (archive)
        return await this.archive(
          req,
          res,
          archive[1]!,
          decodeURIComponent(archive[2]!),
          archive[3] === 'archive',
        );
      if (url.pathname === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      const inDomain = domainPath.exec(url.pathname);
      if (inDomain) {
        if (!(await this.options.directory.domainExists(inDomain[1]!)))
          throw new Refusal(404, `No domain named ${inDomain[1]}.`);
        await this.authenticated(req, inDomain[1]!);
      }
      for (const handler of this.options.handlers ?? []) if (await handler(req, res)) return;
      throw new Refusal(404, `Nothing here: ${url.pathname}`);
    } catch (error) {
      if (error instanceof Refusal) {
        req.resume();
        return sendOpenRosa(res, error.status, error.message, 'submit_error', error.headers);
      }
      if (isRetryable(error)) {
        this.options.logger.warn(
          { err: error },
          'A store is unavailable; the device will retry the submission.',
        );
        req.resume();
        return sendOpenRosa(
          res,
          503,
          'The server cannot store submissions right now; try again later.',
          'processing_failure',
          {
            'retry-after': '5',
          },
        );
      }
      throw error;
    }
  }

  private async receive(
    req: IncomingMessage,
    res: ServerResponse,
    domain: string,
    appId: string | null,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'POST' && method !== 'HEAD')
      throw new Refusal(405, `${method} is not allowed here.`, { allow: 'HEAD, POST' });
    if (!(await this.options.directory.domainExists(domain)))
      throw new Refusal(404, `No domain named ${domain}.`);
    if (method === 'HEAD') {
      res.writeHead(204, {
        'x-openrosa-version': openRosaVersion,
        'x-openrosa-accept-content-length': String(this.options.maxBodyBytes),
      });
      res.end();
      return;
    }
    await this.authenticated(req, domain);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.options.maxBodyBytes) throw this.tooLarge(res);
    const body = await readBody(req, this.options.maxBodyBytes);
    if (body === null) throw this.tooLarge(res);
    const { xml, attachments } = submissionParts(req.headers['content-type'], body);

    let parsed;
    let blocks;
    try {
      parsed = parseXForm(xml);
      blocks = extractCaseBlocks(parsed.root);
    } catch (error) {
      if (error instanceof XFormSyntaxError)
        throw new Refusal(
          400,
          `Malformed XML at line ${error.line}, column ${error.column}: ${error.reason}`,
        );
      if (error instanceof XFormMissingInstanceIdError) throw new Refusal(422, error.message);
      if (error instanceof CaseBlockError)
        throw new Refusal(
          422,
          `Bad case block at line ${error.line}, column ${error.column}: ${error.reason}`,
        );
      throw error;
    }
    const outcome = await this.options.store.save({ domain, xml, parsed, blocks, attachments, appId });
    if (outcome.status === 'rejected') {
      const { error } = outcome;
      if (error instanceof FormDomainConflict) throw new Refusal(409, error.message);
      if (
        error instanceof CaseNotFoundError ||
        error instanceof CaseDomainMismatchError ||
        error instanceof CaseDateError
      ) {
        throw new Refusal(422, `${error.message} (case ${error.caseId})`);
      }
      throw new Refusal(422, (error as Error).message);
    }
    const message =
      outcome.status === 'duplicate'
        ? `Form ${outcome.formId} was already received; nothing changed.`
        : outcome.status === 'edited'
          ? `Form ${outcome.formId} was edited; ${outcome.caseIds.length} case(s) rebuilt.`
          : `Form ${outcome.formId} received; ${outcome.caseIds.length} case(s) changed.`;
    sendOpenRosa(res, 201, message, 'submit_success');
  }

  private async archive(
    req: IncomingMessage,
    res: ServerResponse,
    domain: string,
    formId: string,
    archive: boolean,
  ): Promise<void> {
    if (req.method !== 'POST')
      throw new Refusal(405, `${req.method} is not allowed here.`, { allow: 'POST' });
    if (!(await this.options.directory.domainExists(domain)))
      throw new Refusal(404, `No domain named ${domain}.`);
    await this.authenticated(req, domain);
    req.resume();
    const outcome = await this.options.store.setArchived(domain, formId, archive);
    if (outcome.status === 'not-found') throw new Refusal(404, `No form ${formId} in domain ${domain}.`);
    const body = JSON.stringify({
      form_id: formId,
      archived: archive,
      changed: outcome.status === 'changed',
      case_ids: outcome.caseIds,
    });
    send(res, 200, 'application/json', `${body}\n`);
  }

  private async authenticated(req: IncomingMessage, domain: string): Promise<void> {
    const outcome = await authenticate(req.headers, domain, this.options.directory, this.options.credentials);
    if (!outcome.ok) {
      throw new Refusal(
        outcome.status,
        outcome.message,
        outcome.status === 401 ? { 'www-authenticate': 'Basic realm="tributary", charset="UTF-8"' } : {},
      );
    }
  }

  private tooLarge(res: ServerResponse): Refusal {
    // The rest of the body is not read: close the connection instead of draining it.
    res.setHeader('connection', 'close');
    return new Refusal(413, `The submission is larger than ${this.options.maxBodyBytes} bytes.`);
  }
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
    throw new Refusal(400, (error as Error).message);
  }
  if (boundary === null) {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'text/xml' || type === 'application/xml' || type === '')
      return { xml: body, attachments: [] };
    throw new Refusal(415, `Unsupported Content-Type ${type}: send multipart/form-data or text/xml.`);
  }
  let parts;
  try {
    parts = parseMultipart(body, boundary);
  } catch (error) {
    if (error instanceof MultipartError) throw new Refusal(400, error.message);
    throw error;
  }
  const form = parts.find((part) => part.name === 'xml_submission_file');
  if (!form) throw new Refusal(400, 'The multipart body has no xml_submission_file part.');
  const attachments = parts
    .filter((part) => part !== form)
    .map((part) => ({ name: part.filename ?? part.name, contentType: part.contentType, data: part.data }));
  const names = new Set<string>(['form.xml']);
  for (const attachment of attachments) {
    if (names.has(attachment.name))
      throw new Refusal(400, `Two parts of the submission are named ${attachment.name}.`);
    names.add(attachment.name);
  }
  return { xml: form.data, attachments };
}

/** The whole body, or null as soon as it passes the limit. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, length);
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendOpenRosa(
  res: ServerResponse,
  status: number,
  message: string,
  nature: 'submit_success' | 'submit_error' | 'processing_failure',
  headers: Record<string, string> = {},
): void {
  send(res, status, 'text/xml; charset=utf-8', openRosaResponse(message, nature), {
    'x-openrosa-version': openRosaVersion,
    ...headers,
  });
}
