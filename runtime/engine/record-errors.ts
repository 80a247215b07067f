/**
 * Which failures of a whole sink batch belong to one of its records. Only those are worth writing
 * the batch record by record to find the culprit; anything else (a lost connection, a broker
 * restarting, a timeout, a failure nobody classified) is the target's, and the batch is retried
 * whole, so no record is ever dead-lettered, or written twice, for it.
 */
import { BadConfigError, BadRecordError, RetryableError, isRetryable } from '../contract/index.js';

/**
 * SQLSTATE classes in which the database says the data is wrong: 22 (data exception: a value out
 * of range, invalid text for its type…) and 23 (integrity constraint violation).
 */
const recordSqlStates = /^(22|23)[0-9A-Z]{3}$/;

/** True when the target said a record of the batch is wrong: BadRecordError, or a data/constraint SQLSTATE. */
export function belongsToRecords(error: unknown): boolean {
  if (error instanceof BadRecordError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && recordSqlStates.test(code);
}

/**
 * How the runtime treats a failed batch write: transient errors stay as they are, record errors
 * and bad configuration are permanent, and every other failure is made retryable (never skipped).
 */
export function classifyBatchFailure(error: unknown): unknown {
  if (isRetryable(error) || belongsToRecords(error) || error instanceof BadConfigError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RetryableError(`${message} (a failure of the whole batch, not of one record: retried)`, {
    cause: error,
  });
}
