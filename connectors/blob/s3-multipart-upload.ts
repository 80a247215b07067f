/**
 * Streams a file of unknown size to an S3 bucket by multipart upload: parts of `partBytes` are cut
 * from the stream and uploaded one at a time, each retried with backoff when the store does not
 * answer, so memory holds one part whatever the file's size. An upload that cannot finish is
 * aborted (no orphaned parts) and throws RetryableError; the caller may stream the file again.
 */
import type { Client } from 'minio';
import { RetryableError } from '../../runtime/contract/index.js';

export interface MultipartUploadOptions {
  bucket: string;
  key: string;
  contentType: string;
  /** S3's minimum part is 5 MiB (all but the last part). */
  partBytes: number;
  /** Attempts per part (and for starting and completing the upload). */
  attempts: number;
  /** First retry delay; doubles each attempt. */
  retryDelayMs: number;
  signal?: AbortSignal;
  /** Called after each part is stored, with the bytes stored so far. */
  onPart?: (bytesStored: number) => void;
}

export interface UploadResult {
  bytes: number;
  parts: number;
  etag: string;
}

async function withRetries<T>(
  what: string,
  options: MultipartUploadOptions,
  work: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= options.attempts || options.signal?.aborted)
        throw new RetryableError(
          `S3 ${what} failed after ${attempt} attempt(s): ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      const delay = options.retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Ensures the bucket exists (another process may create it at the same time). */
export async function ensureBucket(client: Client, bucket: string, region: string): Promise<void> {
  if (await client.bucketExists(bucket)) return;
  await client.makeBucket(bucket, region).catch(async (error: unknown) => {
    if (!(await client.bucketExists(bucket))) throw error;
  });
}

export async function multipartUpload(
  client: Client,
  chunks: AsyncIterable<Buffer>,
  options: MultipartUploadOptions,
): Promise<UploadResult> {
  const { bucket, key } = options;
  const uploadId = await withRetries('starting the upload', options, () =>
    client.initiateNewMultipartUpload(bucket, key, { 'Content-Type': options.contentType }),
  );
  const etags: { part: number; etag: string }[] = [];
  let bytes = 0;
  const send = async (payload: Buffer) => {
    const partNumber = etags.length + 1;
    const stored = await withRetries(`part ${partNumber}`, options, () =>
      client.uploadPart(
        { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber, headers: {} },
        payload,
      ),
    );
    etags.push({ part: partNumber, etag: stored.etag });
    bytes += payload.length;
    options.onPart?.(bytes);
  };
  try {
    let buffered: Buffer[] = [];
    let size = 0;
    for await (const chunk of chunks) {
      buffered.push(chunk);
      size += chunk.length;
      while (size >= options.partBytes) {
        const all = Buffer.concat(buffered, size);
        await send(all.subarray(0, options.partBytes));
        buffered = size > options.partBytes ? [Buffer.from(all.subarray(options.partBytes))] : [];
        size -= options.partBytes;
      }
    }
    if (size > 0 || etags.length === 0) await send(Buffer.concat(buffered, size));
    const done = await withRetries('completing the upload', options, () =>
      client.completeMultipartUpload(bucket, key, uploadId, etags),
    );
    return { bytes, parts: etags.length, etag: done.etag };
  } catch (error) {
    await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
    throw error;
  }
}
