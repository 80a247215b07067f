/**
 * What the pipelines page shows: `tributary status --json` of the pipelines `serve` runs, computed by
 * the same function (ops.ts pipelineStatus) and handed to the server as a function, so the server
 * never imports the CLI. Cached for a second: several open pages share one computation.
 */
import { defaultKafkaLibrary, kafkaClient } from '../../connectors/kafka/kafka-resources.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import type { PipelinePlan } from '../../runtime/config/index.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import type { PipelineStatusView } from '../../server/index.js';
import { pipelineStatus } from './ops.js';

export function pipelinesStatusProvider(plans: readonly PipelinePlan[]): () => Promise<PipelineStatusView[]> {
  let cached: { at: number; value: Promise<PipelineStatusView[]> } | null = null;
  const compute = async () => {
    if (!plans.length) return [];
    const resources = new ResourcePool();
    try {
      const admin = await (
        await kafkaClient(resources, defaultKafkaLibrary, [...readEndpoints().KAFKA_BROKERS])
      ).admin();
      try {
        return (await Promise.all(
          plans.map((plan) => pipelineStatus(plan, admin, resources)),
        )) as PipelineStatusView[];
      } finally {
        await admin.close();
      }
    } finally {
      await resources.close();
    }
  };
  return () => {
    if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), value: compute() };
    return cached.value;
  };
}
