/**
 * Evaluates documents against data sources in rounds: evaluate everything, fetch every lookup the
 * evaluations reported missing in one call, evaluate again only what missed, until nothing misses.
 * Shared by the `ucr` stage (a batch of change events) and rebuilds (a chunk of the primary store).
 */
import type { UcrLookupKey, UcrLookups, UcrRow } from './contract.js';
import { lookupKeyId, type UcrActiveDataSource } from './ucr-catalog.js';

/** One document and the data sources to evaluate it for. */
export interface UcrDocumentJob {
  readonly doc: unknown;
  readonly dataSources: readonly UcrActiveDataSource[];
}

/** The rows one data source produces for one document; `rows` is empty when it does not match. */
export interface UcrDocumentOutcome {
  readonly key: string;
  readonly matched: boolean;
  readonly rows: readonly UcrRow[];
}

export type UcrJobResult = { readonly outcomes: UcrDocumentOutcome[] } | { readonly error: Error };

/** Loads lookups: one entry per key, `null` for a document that does not exist. */
export type UcrLookupFetcher = (keys: readonly UcrLookupKey[]) => Promise<Map<string, unknown>>;

/**
 * One result per job, in order. A job whose evaluation throws, or still misses lookups after
 * `maxRounds` fetches, gets an error; the others their outcomes. Rejects only when `fetch` does.
 */
export async function evaluateDocuments(
  jobs: readonly UcrDocumentJob[],
  fetch: UcrLookupFetcher,
  maxRounds = 8,
): Promise<UcrJobResult[]> {
  const known = new Map<string, unknown>();
  const lookups: UcrLookups = { get: (key) => known.get(lookupKeyId(key)) };
  const results: (UcrJobResult | undefined)[] = jobs.map(() => undefined);
  const partial = jobs.map(() => new Map<string, UcrDocumentOutcome>());
  let pending = jobs.map((_, i) => i);
  for (let round = 0; pending.length; round++) {
    const missing = new Map<string, UcrLookupKey>();
    const stillPending: number[] = [];
    for (const i of pending) {
      const job = jobs[i]!;
      let missed: UcrLookupKey[] | undefined;
      try {
        for (const { key, dataSource } of job.dataSources) {
          if (partial[i]!.has(key)) continue;
          const evaluation = dataSource.evaluate(job.doc, lookups);
          if (evaluation.status === 'missing') {
            (missed ??= []).push(...evaluation.missing);
            continue;
          }
          partial[i]!.set(key, {
            key,
            matched: evaluation.matched,
            rows: evaluation.matched ? evaluation.rows : [],
          });
        }
      } catch (error) {
        results[i] = { error: error instanceof Error ? error : new Error(String(error)) };
        continue;
      }
      if (!missed) {
        results[i] = { outcomes: job.dataSources.map(({ key }) => partial[i]!.get(key)!) };
        continue;
      }
      // A key fetched already (even as null) cannot be missing again: the evaluation is stuck.
      const fresh = missed.filter((key) => !known.has(lookupKeyId(key)));
      if (!fresh.length || round >= maxRounds) {
        results[i] = {
          error: new Error(
            `lookups still missing after ${round} rounds: ${missed
              .slice(0, 5)
              .map((k) => `${k.kind}:${k.id}`)
              .join(', ')}`,
          ),
        };
        continue;
      }
      for (const key of fresh) missing.set(lookupKeyId(key), key);
      stillPending.push(i);
    }
    if (missing.size) {
      const fetched = await fetch([...missing.values()]);
      for (const [id] of missing) known.set(id, fetched.has(id) ? fetched.get(id) : null);
    }
    pending = stillPending;
  }
  return results.map((r) => r!);
}
