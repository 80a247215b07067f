/**
 * Where raw submissions and their attachments are kept, keyed by form id: an S3-API bucket, or a
 * folder (the embedded default, for a single machine). Writes are whole objects; a retry of the
 * same key overwrites the same bytes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Client } from 'minio';
import { redactSecrets, RetryableError } from '../../runtime/contract/index.js';
import { createS3Client, type S3Location } from './s3-client.js';

export type { S3Location } from './s3-client.js';

export interface BlobStore {
  /** Resolves once the object is durable. Throws RetryableError when the store cannot be reached. */
  put(key: string, data: Buffer, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  /** A short description for logs and status (`s3://bucket`, `file:///path`). */
  readonly location: string;
}

/**
 * Keys are `<domain>/<form id>/<attachment name>`; only characters that are safe in both stores. A
 * part longer than 200 characters once escaped is shortened to its start and its digest, so a key
 * always fits S3's 1,024 bytes and a file name's 255.
 */
export function blobKey(domain: string, formId: string, name: string): string {
  const safe = (part: string) => {
    const escaped = part.replace(
      /[^A-Za-z0-9._-]/g,
      (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
    return escaped.length <= maxKeyPartLength ? escaped : shortened(escaped);
  };
  return `${safe(domain)}/${safe(formId)}/${safe(name)}`;
}

const maxKeyPartLength = 200;

const shortened = (part: string) =>
  `${part.slice(0, 64).replace(/[^A-Za-z0-9._-]/g, '_')}~${createHash('sha256').update(part).digest('hex')}`;

export class FilesystemBlobStore implements BlobStore {
  private readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return `file://${this.root}`;
  }

  private pathOf(key: string): string {
    // File systems cap a name at 255 bytes; a longer segment (a key not made by blobKey) is shortened.
    const names = key
      .split('/')
      .map((segment) => (Buffer.byteLength(segment) <= maxKeyPartLength ? segment : shortened(segment)));
    const path = resolve(this.root, names.join('/'));
    // blobKey never produces `..`, but a key from elsewhere must still stay inside the root.
    if (!path.startsWith(this.root + sep)) throw new Error(`Blob key escapes the store: ${key}`);
    return path;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Unique per write: concurrent writes of one key (a device retrying) must not share a file.
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, data, { flush: true });
    await rename(temporary, path);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
}

export class S3BlobStore implements BlobStore {
  private readonly client: Client;
  private bucketChecked: Promise<void> | undefined;

  constructor(private readonly s3: S3Location) {
    this.client = createS3Client(s3);
  }

  get location(): string {
    return `s3://${this.s3.bucket}`;
  }

  private ensureBucket(): Promise<void> {
    this.bucketChecked ??= (async () => {
      if (!(await this.client.bucketExists(this.s3.bucket))) {
        await this.client.makeBucket(this.s3.bucket, this.s3.region).catch(async (error: unknown) => {
          // Another process made it first.
          if (!(await this.client.bucketExists(this.s3.bucket))) throw error;
        });
      }
    })().catch((error: unknown) => {
      this.bucketChecked = undefined;
      throw error;
    });
    return this.bucketChecked;
  }

  async put(key: string, data: Buffer, contentType: string): Promise<void> {
    try {
      await this.ensureBucket();
      await this.client.putObject(this.s3.bucket, key, data, data.length, { 'Content-Type': contentType });
    } catch (error) {
      throw new RetryableError(
        redactSecrets(
          `The blob store (${this.s3.endpoint}) refused or did not answer: ${(error as Error).message}`,
        ),
        { cause: error },
      );
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      const stream = await this.client.getObject(this.s3.bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (error) {
      if ((error as { code?: string }).code === 'NoSuchKey') return null;
      throw error;
    }
  }
}
