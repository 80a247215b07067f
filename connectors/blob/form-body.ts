/**
 * Large form bodies travel beside their events, not in them (the claim-check pattern). A form
 * whose question tree is larger than the receiver's threshold is saved with its JSON in the blob
 * store and published with `form_body_url` set and `form: {}`, so no event exceeds what its topic
 * accepts. Every Kafka source puts the question tree back while decoding (`FormBodies.resolve`),
 * so the `ucr` stage, the search stage and any other consumer of the `forms` topic see the whole
 * form without knowing about this; exports and backfills read the primary store, whose events keep
 * the whole form.
 *
 * The URL names its store (`s3://<bucket>/<key>` on the S3-API server of the endpoints, or
 * `file:///<path>` on this machine), so a consumer needs no setting to find it.
 */
import { readFile } from 'node:fs/promises';
import { BadRecordError, RetryableError } from '../../runtime/contract/index.js';
import type { Endpoints } from '../endpoints.js';
import { blobKey, S3BlobStore, type BlobStore } from './blob-store.js';

/** Where a form's body goes: beside its raw XML, named by the body's digest (edits never overwrite it). */
export function formBodyKey(domain: string, formId: string, bodySha256: string): string {
  return blobKey(domain, formId, `${bodySha256.slice(0, 16)}-form.json`);
}

/** The URL a consumer reads a body from: the store's location and the key. */
export function formBodyUrl(store: BlobStore, key: string): string {
  return `${store.location}/${key}`;
}

/** The body of an event as published: `{}` when it travels beside the event. */
export function publishedForm<T extends { form: unknown; form_body_url?: string | null }>(event: T): T {
  return event.form_body_url ? { ...event, form: {} } : event;
}

/**
 * The form event in a decoded value whose body is elsewhere, or null. A reader schema that is a
 * union (`[Form, Case]`) decodes to the record wrapped in its full name
 * (`{"dev.tributary.commcare.Form": {...}}`): the wrapper is looked through.
 */
function eventWithBodyAside(value: unknown): { form: unknown; form_body_url: string } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const url = (value as { form_body_url?: unknown }).form_body_url;
  if (typeof url === 'string' && url !== '') return value as { form: unknown; form_body_url: string };
  // Every record of every Kafka source passes here: look for a single key without listing them all.
  let only: string | undefined;
  for (const key in value) {
    // Decoded Avro records inherit enumerable methods; only own keys count.
    if (!Object.hasOwn(value, key)) continue;
    if (only !== undefined) return null;
    only = key;
  }
  return only?.includes('.') ? eventWithBodyAside((value as Record<string, unknown>)[only]) : null;
}

/** A decoded record as the sources hold it. */
interface DecodedRecord {
  value: unknown;
  decodeError?: Error | undefined;
}

/**
 * Reads bodies back for a consumer. One per source; the S3 client is made on the first body that
 * needs it. Resolving throws RetryableError while a store is unreachable (the source retries the
 * batch) and marks a record undecodable (its dead letter names the URL) when its body is missing.
 */
export class FormBodies {
  private readonly s3 = new Map<string, S3BlobStore>();

  constructor(private readonly endpoints: () => Endpoints) {}

  /** Puts every carried-aside body back into its record's value; a batch without any costs a scan. */
  async resolve(records: readonly DecodedRecord[]): Promise<void> {
    const pending = records.filter(
      (record) => !record.decodeError && eventWithBodyAside(record.value) !== null,
    );
    for (let at = 0; at < pending.length; at += 16) {
      await Promise.all(pending.slice(at, at + 16).map((record) => this.resolveOne(record)));
    }
  }

  private async resolveOne(record: DecodedRecord): Promise<void> {
    const event = eventWithBodyAside(record.value)!;
    const url = event.form_body_url;
    const bytes = await this.read(url);
    if (bytes === null) {
      record.decodeError = new BadRecordError('decode', `the form body at ${url} is not in the blob store`);
      return;
    }
    try {
      event.form = JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (error) {
      record.decodeError = new BadRecordError('decode', `the form body at ${url} is not JSON`, {
        cause: error,
      });
    }
  }

  /** The bytes at the URL, or null when there are none. */
  async read(url: string): Promise<Buffer | null> {
    if (url.startsWith('s3://')) {
      const rest = url.slice('s3://'.length);
      const slash = rest.indexOf('/');
      const bucket = rest.slice(0, slash);
      try {
        return await this.store(bucket).get(rest.slice(slash + 1));
      } catch (error) {
        throw new RetryableError(`cannot read the form body at ${url}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    if (url.startsWith('file://')) {
      try {
        return await readFile(url.slice('file://'.length));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new RetryableError(`cannot read the form body at ${url}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    throw new BadRecordError(
      'decode',
      `form_body_url ${JSON.stringify(url)} names no blob store (s3:// or file://)`,
    );
  }

  private store(bucket: string): S3BlobStore {
    let store = this.s3.get(bucket);
    if (!store) {
      const e = this.endpoints();
      store = new S3BlobStore({
        endpoint: e.S3_ENDPOINT,
        region: e.S3_REGION,
        accessKey: e.S3_ACCESS_KEY,
        secretKey: e.S3_SECRET_KEY,
        bucket,
      });
      this.s3.set(bucket, store);
    }
    return store;
  }
}
