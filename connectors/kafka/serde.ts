/**
 * How a Kafka source or sink turns record values into bytes and back. Two implementations: Avro
 * in the Confluent wire format (avro-serde.ts), used by every Tributary topic, and plain JSON
 * (`jsonSerde`), for topics outside Tributary's own.
 */
import { BadRecordError } from '../../runtime/contract/index.js';

export interface ValueSerde<T = unknown> {
  /**
   * The bytes of one value. Rejects with a BadRecordError when the value cannot be encoded (it does
   * not fit the schema), a RetryableError when something it needs (a registry) cannot be reached now.
   */
  encode(value: T): Promise<Buffer>;
  /**
   * The value in `bytes`. Rejects with a BadRecordError, whose `reason` says why, when the bytes are
   * not a value of this topic (that one record goes to the dead letters; the next ones decode), and
   * with a RetryableError when something it needs cannot be reached now. Never crashes the consumer.
   */
  decode(bytes: Buffer): Promise<T>;
  /**
   * The same as `decode` for serdes that never need to wait for anything: throws instead of
   * rejecting. Sources use it, when present, to decode a batch without a promise per record.
   */
  decodeSync?(bytes: Buffer): T;
  /** True when a value's bytes are its UTF-8 JSON text (what `decode` parsed), for sinks to reuse. */
  readonly bytesAreJson?: boolean;
}

function jsonEncode(value: unknown): Promise<Buffer> {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return Promise.reject(
      new BadRecordError('json-encode', `cannot write the value as JSON: ${(error as Error).message}`, {
        cause: error,
      }),
    );
  }
  if (text === undefined) {
    return Promise.reject(new BadRecordError('json-encode', `cannot write ${typeof value} as JSON`));
  }
  return Promise.resolve(Buffer.from(text));
}

function jsonDecodeSync(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new BadRecordError(
      'json-parse',
      `value of ${bytes.length} bytes is not JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

function jsonDecode(bytes: Buffer): Promise<unknown> {
  // A throw inside the executor becomes the rejection.
  return new Promise((resolve) => resolve(jsonDecodeSync(bytes)));
}

/** UTF-8 JSON text: `JSON.stringify` on the way out, `JSON.parse` on the way in. */
export const jsonSerde: ValueSerde = {
  encode: jsonEncode,
  decode: jsonDecode,
  decodeSync: jsonDecodeSync,
  bytesAreJson: true,
};
