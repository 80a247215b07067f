/**
 * What a failed produce means for the runtime. Only the broker can say a record is at fault (too
 * large, invalid, corrupt): that batch is then written record by record to find it. Every other
 * failure (a broker restarting, a leader moving, a timeout, "Producing messages failed") is the
 * transport's: the batch is retried whole, never split, so no record is dead-lettered for it and
 * the idempotent producer's retries cannot turn into duplicates.
 */
import { BadRecordError, RetryableError } from '../../runtime/contract/index.js';

/** Broker error codes that belong to a record of the request, with the dead-letter reason for each. */
const recordFaults: Record<string, string> = {
  MESSAGE_TOO_LARGE: 'record-too-large',
  RECORD_LIST_TOO_LARGE: 'record-too-large',
  INVALID_RECORD: 'invalid-record',
  CORRUPT_MESSAGE: 'corrupt-record',
  INVALID_TIMESTAMP: 'invalid-timestamp',
};

/** Broker error names in an error and in everything it wraps (@platformatic/kafka's `apiId`, kafkajs' `type`). */
export function brokerErrorNames(error: unknown, seen = new Set<unknown>()): string[] {
  if (typeof error !== 'object' || error === null || seen.has(error)) return [];
  seen.add(error);
  const e = error as {
    apiId?: unknown;
    type?: unknown;
    cause?: unknown;
    errors?: unknown;
    originalError?: unknown;
  };
  const names = [e.apiId, e.type].filter((name): name is string => typeof name === 'string');
  const wrapped = [e.cause, e.originalError, ...(Array.isArray(e.errors) ? (e.errors as unknown[]) : [])];
  return [...names, ...wrapped.flatMap((inner) => brokerErrorNames(inner, seen))];
}

/** A BadRecordError when the broker refused a record of the send, else a RetryableError; the original is the cause. */
export function classifyProduceError(error: unknown, topic: string): Error {
  const names = brokerErrorNames(error);
  const fault = names.find((name) => recordFaults[name] !== undefined);
  const message = error instanceof Error ? error.message : String(error);
  if (fault !== undefined)
    return new BadRecordError(
      recordFaults[fault]!,
      `the broker refused a record for ${topic} (${fault}): ${message}`,
      {
        cause: error,
      },
    );
  return new RetryableError(
    `producing to ${topic} failed (${[...new Set(names)].join(', ') || message}); retrying the batch`,
    {
      cause: error,
    },
  );
}
