/**
 * Connects to the cluster at a URL with the client of the engine it runs, chosen from the
 * cluster's own answer to `GET /` (OpenSearch says `distribution: opensearch`; Elasticsearch 8 and
 * 9 give their version number), or as configured. One engine per URL and process, shared through
 * the resources and closed at shutdown.
 */
import { BadConfigError, RetryableError, type Resources } from '../../runtime/contract/index.js';
import { elasticsearchEngine } from './elasticsearch-engine.js';
import { openSearchEngine } from './opensearch-engine.js';
import type { EngineKind, SearchEngine } from './search-engine.js';

export type EngineChoice = EngineKind | 'auto';

/** What the cluster says it is; a RetryableError while it does not answer. */
export async function detectEngine(
  url: string,
  timeoutMs = 5_000,
): Promise<{ kind: EngineKind; version: string }> {
  let body: { version?: { number?: string; distribution?: string } };
  try {
    const response = await fetch(new URL('/', url), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new RetryableError(`search engine at ${url} answered ${response.status}`);
    body = (await response.json()) as typeof body;
  } catch (error) {
    if (error instanceof RetryableError) throw error;
    throw new RetryableError(`search engine at ${url} is unreachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const version = body.version?.number ?? '';
  if (body.version?.distribution === 'opensearch') return { kind: 'opensearch', version };
  const major = Number(version.split('.')[0]);
  if (major >= 8) return { kind: 'elasticsearch', version };
  throw new BadConfigError(
    '',
    `search engine at ${url} is Elasticsearch ${version || '(unknown version)'}; Tributary needs OpenSearch 2 or Elasticsearch 8 or 9`,
  );
}

/** An engine for a URL without sharing (the CLI, tests). */
export async function connectSearchEngine(
  url: string,
  choice: EngineChoice = 'auto',
  requestTimeoutMs = 30_000,
): Promise<SearchEngine> {
  const detected = choice === 'auto' ? await detectEngine(url) : { kind: choice, version: '' };
  return detected.kind === 'opensearch'
    ? openSearchEngine(url, detected.version, requestTimeoutMs)
    : elasticsearchEngine(url, detected.version, requestTimeoutMs);
}

/** The process's engine for a URL, created on first use and closed with the resources. */
export function searchEngine(
  resources: Resources,
  url: string,
  choice: EngineChoice,
  requestTimeoutMs: number,
): Promise<SearchEngine> {
  return resources.get(
    `search-engine:${choice}:${requestTimeoutMs}:${url}`,
    () => connectSearchEngine(url, choice, requestTimeoutMs),
    (engine) => engine.close(),
  );
}
