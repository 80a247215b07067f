/**
 * Errors classified by what the runtime should do with them. A component throws (or reports)
 * one of these; the engine decides: retry, dead-letter one record, or refuse to start.
 */

export interface ClassifiedErrorOptions {
  cause?: unknown;
}

/** Transient: the same work may succeed later (connection refused, timeout, 5xx, lock timeout). Retried, never skipped. */
export class RetryableError extends Error {
  override readonly name: string = 'RetryableError';
  readonly retryable = true;
  constructor(message: string, options?: ClassifiedErrorOptions) {
    super(message, options);
  }
}

/** Permanent for one record (cannot decode, violates a constraint): that record goes to the dead-letter topic. */
export class BadRecordError extends Error {
  override readonly name: string = 'BadRecordError';
  readonly retryable = false;
  /** A short stable reason code for dashboards and the dead-letter headers, e.g. `not-wire-format`. */
  readonly reason: string;
  constructor(reason: string, message: string, options?: ClassifiedErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** The configuration cannot work: reported at load time with where it is wrong; the pipeline does not start. */
export class BadConfigError extends Error {
  override readonly name: string = 'BadConfigError';
  readonly retryable = false;
  /** Path inside the configuration, e.g. `sinks.reports.table`. */
  readonly path: string;
  constructor(path: string, message: string, options?: ClassifiedErrorOptions) {
    super(path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
}

const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  // PostgreSQL SQLSTATEs: serialization failure, deadlock, lock timeout, too many connections,
  // admin/crash shutdown, cannot connect now, connection exceptions (class 08).
  '40001',
  '40P01',
  '55P03',
  '53300',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

/**
 * True when an error is worth retrying: a RetryableError, anything that says `retriable`/`retryable`
 * (KafkaJS does), a known transient network or database code, or an HTTP 429/5xx status.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BadRecordError || error instanceof BadConfigError) return false;
  if (error instanceof RetryableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    retriable?: unknown;
    retryable?: unknown;
    code?: unknown;
    status?: unknown;
    statusCode?: unknown;
    cause?: unknown;
  };
  if (e.retriable === true || e.retryable === true) return true;
  if (typeof e.code === 'string' && transientCodes.has(e.code)) return true;
  const status =
    typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  if (
    /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(
      (error as Error).message ?? '',
    )
  )
    return true;
  return e.cause !== undefined && e.cause !== error && isRetryable(e.cause);
}
