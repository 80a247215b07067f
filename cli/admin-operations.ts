/**
 * What the admin API of `run` and `serve` does (runtime/telemetry/admin-routes.ts serves it): the
 * `status --json` model of each pipeline with this worker's own view (paused, ready, lanes), pause
 * and resume through the engine, and the pipeline's dead letters from the errors table.
 */
import { readEndpoints } from '../connectors/endpoints.js';
import { defaultKafkaLibrary, kafkaClient } from '../connectors/kafka/kafka-resources.js';
import { listDeadLetters } from '../connectors/postgres/postgres-dead-letters.js';
import { postgresPool } from '../connectors/postgres/postgres-pool.js';
import type { PipelinePlan } from '../runtime/config/index.js';
import type { AdminApi, AdminOperations } from '../runtime/telemetry/admin-routes.js';
import { pipelineStatus } from './commands/ops.js';
import type { PipelineHost } from './pipeline-host.js';

export function adminApi(host: PipelineHost, plans: readonly PipelinePlan[]): AdminApi {
  return { token: process.env.TRIBUTARY_ADMIN_TOKEN, operations: adminOperations(host, plans) };
}

function adminOperations(host: PipelineHost, plans: readonly PipelinePlan[]): AdminOperations {
  const planOf = (name: string) => plans.find((p) => p.name === name)!;
  const runnerOf = (name: string) => {
    const runner = host.runner(name);
    if (!runner) throw new Error(`pipeline '${name}' has not started yet`);
    return runner;
  };
  return {
    names: () => plans.map((p) => p.name),
    status: async (name) => {
      const admin = await (
        await kafkaClient(host.resources, defaultKafkaLibrary, [...readEndpoints().KAFKA_BROKERS])
      ).admin();
      try {
        const status = await pipelineStatus(planOf(name), admin, host.resources);
        const runner = host.runner(name);
        return {
          ...status,
          worker: {
            pid: process.pid,
            started: runner !== undefined,
            ready: runner?.ready ?? false,
            paused: runner?.paused ?? false,
          },
        };
      } finally {
        await admin.close();
      }
    },
    pause: (name) => runnerOf(name).pause(),
    resume: (name) => runnerOf(name).resume(),
    deadLetters: async (name, { limit, pendingOnly }) => {
      const db = await postgresPool(host.resources, readEndpoints().DATABASE_URL);
      const letters = await listDeadLetters(db, { pipeline: name, limit, pendingOnly });
      // The original bytes as base64 (headers are stored that way already), as `dlq list --json` shows ids.
      return letters.map((l) => ({
        ...l,
        id: String(l.id),
        record_key: l.record_key?.toString('base64') ?? null,
        record_value: l.record_value?.toString('base64') ?? null,
      }));
    },
  };
}
