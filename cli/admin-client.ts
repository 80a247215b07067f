/** Reads the admin API of a running `run` or `serve` (runtime/telemetry/admin-routes.ts). */
import type { PipelineStatus } from './commands/ops.js';

export class AdminRequestError extends Error {
  override readonly name = 'AdminRequestError';
}

/** GET /pipelines with the token from TRIBUTARY_ADMIN_TOKEN; throws naming the URL and the answer. */
export async function fetchStatuses(
  baseUrl: string,
  token = process.env.TRIBUTARY_ADMIN_TOKEN,
): Promise<PipelineStatus[]> {
  const url = new URL('/pipelines', baseUrl);
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (error) {
    throw new AdminRequestError(
      `cannot reach ${url.href}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
    );
  }
  const body = await response.json().catch((): unknown => ({}));
  if (!response.ok)
    throw new AdminRequestError(
      `${url.href} answered ${response.status}: ${(body as { error?: string }).error ?? ''}`,
    );
  return body as PipelineStatus[];
}
