/**
 * Sends bulk actions in requests sized by bytes and by count, several in flight, and sorts each
 * action's outcome: written (2xx), already newer in the index (409: an older version never wins,
 * so the write is done), refused for its content (mapping error, too large: that record's
 * failure), or transient (429, `es_rejected_execution_exception`, 5xx, a target gone: the batch
 * is retried, never skipped).
 */
import { isRetryable } from '../../runtime/contract/index.js';
import type { AdaptiveLimit } from './adaptive-limit.js';
import { isTransientItem } from './engine-errors.js';
import { SearchEngineError, type BulkItemResult, type SearchEngine } from './search-engine.js';

export interface BulkAction {
  /** Which record of the batch the action belongs to. */
  record: number;
  /** The action line and, for an index action, the document line, each ending in a newline. */
  lines: string;
  bytes: number;
}

export interface BulkLimits {
  maxBulkBytes: number;
  maxBulkActions: number;
  maxInFlight: number;
  requestTimeoutMs: number;
}

export interface BulkOutcome {
  /** Records refused for their content, with the engine's reason. */
  refused: Map<number, { status: number; type: string | undefined; reason: string }>;
  /** Actions the engine could not take now, with its answer: to send again. */
  transient: { action: BulkAction; item: BulkItemResult }[];
}

/** Splits actions into requests of at most `maxBulkActions` actions and `maxBulkBytes` (a larger action goes alone). */
export function chunkActions(
  actions: readonly BulkAction[],
  limits: Pick<BulkLimits, 'maxBulkBytes' | 'maxBulkActions'>,
) {
  const chunks: BulkAction[][] = [];
  let current: BulkAction[] = [];
  let bytes = 0;
  for (const action of actions) {
    if (
      current.length &&
      (current.length >= limits.maxBulkActions || bytes + action.bytes > limits.maxBulkBytes)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(action);
    bytes += action.bytes;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

const overloadedBy = (items: BulkItemResult[]) =>
  items.some((item) => item.status === 429 || item.errorType === 'es_rejected_execution_exception');

async function sendChunk(
  engine: SearchEngine,
  chunk: BulkAction[],
  limits: BulkLimits,
  outcome: BulkOutcome,
  limit: AdaptiveLimit,
): Promise<void> {
  let items: BulkItemResult[];
  const ticket = await limit.acquire();
  try {
    items = await engine.bulk(chunk.map((a) => a.lines).join(''), limits.requestTimeoutMs);
  } catch (error) {
    limit.release(ticket, isRetryable(error));
    // A request too large for the engine: halve it; one action alone that is too large is refused.
    if (error instanceof SearchEngineError && error.status === 413) {
      if (chunk.length === 1) {
        outcome.refused.set(chunk[0]!.record, {
          status: 413,
          type: 'request_entity_too_large',
          reason: 'the document is larger than the engine accepts',
        });
        return;
      }
      const half = Math.ceil(chunk.length / 2);
      await sendChunk(engine, chunk.slice(0, half), limits, outcome, limit);
      await sendChunk(engine, chunk.slice(half), limits, outcome, limit);
      return;
    }
    throw error;
  }
  limit.release(ticket, overloadedBy(items));
  items.forEach((item, i) => {
    if ((item.status >= 200 && item.status < 300) || item.status === 409) return;
    if (isTransientItem(item.status, item.errorType)) outcome.transient.push({ action: chunk[i]!, item });
    else
      outcome.refused.set(chunk[i]!.record, {
        status: item.status,
        type: item.errorType,
        reason: item.reason ?? 'refused',
      });
  });
}

/** Sends every action; a request-level failure (unreachable, timeout, 5xx) is thrown after the other requests settle. */
export async function sendBulk(
  engine: SearchEngine,
  actions: readonly BulkAction[],
  limits: BulkLimits,
  limit: AdaptiveLimit,
): Promise<BulkOutcome> {
  const outcome: BulkOutcome = { refused: new Map(), transient: [] };
  const chunks = chunkActions(actions, limits);
  let next = 0;
  let failure: Error | undefined;
  const worker = async () => {
    while (next < chunks.length && failure === undefined) {
      const chunk = chunks[next++]!;
      await sendChunk(engine, chunk, limits, outcome, limit).catch((error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limits.maxInFlight, chunks.length) }, worker));
  if (failure !== undefined) throw failure;
  return outcome;
}
