/** /metrics, /healthz and /readyz on one port, and the admin API (admin-routes.ts) when given. */
import { createServer, type Server } from 'node:http';
import type { Registry as MetricsRegistry } from 'prom-client';
import { handleAdminRequest, type AdminApi } from './admin-routes.js';

export interface HealthSource {
  /** The admin API (admin-routes.ts) on the same port, when given. */
  admin?: AdminApi;
  /** Alive: the process is not wedged (false once a pipeline failed fatally). */
  healthy(): boolean;
  /** Ready: partitions assigned and sinks connected, for every pipeline. */
  ready(): boolean;
  /** Why it is not ready (a failing sink, a refused lane…), sent in the body of a 503 from /readyz. */
  notReadyReasons?(): string[];
}

export async function startTelemetryServer(
  port: number,
  host: string,
  metrics: MetricsRegistry,
  health: HealthSource,
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metrics.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const ok = path === '/healthz' ? health.healthy() : health.ready();
      const reasons = !ok && path === '/readyz' ? (health.notReadyReasons?.() ?? []) : [];
      response
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify(reasons.length ? { ok, reasons } : { ok }));
      return;
    }
    const admin = health.admin;
    if (admin && handleAdminRequest(admin, request, response, new URL(request.url ?? '/', 'http://admin')))
      return;
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
