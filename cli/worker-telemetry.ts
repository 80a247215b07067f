/**
 * /metrics, /healthz and /readyz of `tributary worker`, on the same port as a pipeline worker's:
 * the depth of each task queue by state (`tributary_queue_jobs`, read from Redis at each scrape),
 * for the export-queue alert and KEDA, and the process's default metrics.
 */
import type { Server } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { QueueCounts } from '../connectors/redis/task-queue.js';
import { startTelemetryServer } from '../runtime/telemetry/http-server.js';

const states = ['waiting', 'active', 'failed', 'delayed'] as const;

export async function startWorkerTelemetry(
  port: number,
  host: string,
  counts: () => Promise<QueueCounts[]>,
  ready: () => boolean,
): Promise<Server> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'tributary_queue_jobs',
    help: 'Tasks in each queue by state (waiting, active, failed, delayed), read from Redis at each scrape.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const c of await counts())
        for (const state of states) this.set({ queue: c.queue, state }, c[state]);
    },
  });
  return startTelemetryServer(port, host, registry, { healthy: () => true, ready });
}
