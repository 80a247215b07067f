/**
 * Classifies what either client throws by what the caller should do: retry (the engine is
 * unreachable, slow, overloaded or failing) or not (the engine refused the request for what it is).
 */
import { RetryableError } from '../../runtime/contract/index.js';
import { SearchEngineError } from './search-engine.js';

const TRANSIENT_NAMES = new Set([
  'ConnectionError',
  'TimeoutError',
  'NoLivingConnectionsError',
  'RequestAbortedError',
  'SniffError',
]);

interface ClientError {
  name?: string;
  message?: string;
  meta?: { statusCode?: number; body?: unknown };
  statusCode?: number;
  body?: unknown;
}

function errorBody(error: ClientError): { type?: string; reason?: string } {
  const body = (error.meta?.body ?? error.body) as { error?: unknown } | undefined;
  const inner = body?.error;
  if (inner && typeof inner === 'object') {
    const e = inner as { type?: string; reason?: string; root_cause?: { type?: string; reason?: string }[] };
    return { type: e.type, reason: e.root_cause?.[0]?.reason ?? e.reason };
  }
  return typeof inner === 'string' ? { reason: inner } : {};
}

/** The error to throw for a failed call `what` (e.g. `search t1_cases`). */
export function engineError(error: unknown, what: string): Error {
  const e = (error ?? {}) as ClientError;
  const status = e.meta?.statusCode ?? e.statusCode;
  const { type, reason } = errorBody(e);
  const detail = reason ?? e.message ?? String(error);
  if (TRANSIENT_NAMES.has(e.name ?? '') || status === 429 || (status !== undefined && status >= 500)) {
    return new RetryableError(`search engine unavailable (${what}): ${detail}`, { cause: error });
  }
  if (status !== undefined) {
    return new SearchEngineError(
      `${what}: ${status} ${type ?? ''} ${detail}`.replace(/\s+/g, ' '),
      status,
      type,
      {
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** True for a bulk item failure that may succeed when sent again. */
export function isTransientItem(status: number, errorType: string | undefined): boolean {
  return status === 429 || status >= 500 || errorType === 'es_rejected_execution_exception' || status === 404;
}
