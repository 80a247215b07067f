import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readEndpoints } from '../../connectors/endpoints.js';
import { memorySource } from '../../connectors/memory/memory-source.js';
import { MemoryStream } from '../../connectors/memory/memory-stream.js';
import { loadPipelineText } from '../config/load-pipeline.js';
import { defineProcessor, defineSink, type SinkRecord } from '../contract/index.js';
import { createRegistry } from '../registry/index.js';
import { silentLogger } from '../telemetry/logger.js';
import { PipelineMetrics } from '../telemetry/metrics.js';
import { MemoryDeadLetters } from './dead-letters.js';
import { PipelineRunner } from './pipeline-runner.js';
import { ResourcePool } from './resources.js';

// A stage that waits per record (a lookup), longer for some keys than others, counting how many
// records it holds at once; a sink that keeps every key's values in the order they were written.
const observed = { inStage: 0, mostInStage: 0, written: new Map<string, number[]>() };
const waiting = defineProcessor({
  name: 'waiting',
  summary: 'test processor',
  config: z.object({}),
  example: 'type: waiting',
  create: () => ({
    process: async (record) => {
      observed.inStage++;
      observed.mostInStage = Math.max(observed.mostInStage, observed.inStage);
      const n = (record.value as { n: number }).n;
      await new Promise((resolve) => setTimeout(resolve, (n * 7) % 3));
      observed.inStage--;
      return [record];
    },
  }),
});
const ordered = defineSink({
  name: 'ordered',
  summary: 'test sink',
  config: z.object({}),
  example: 'type: ordered',
  create: () => ({
    write: (records: SinkRecord[]) => {
      for (const r of records) {
        const list = observed.written.get(r.key!) ?? [];
        list.push((r.value as { n: number }).n);
        observed.written.set(r.key!, list);
      }
      return Promise.resolve({ failed: [] });
    },
  }),
});
const registry = createRegistry([memorySource, waiting, ordered]);

async function run(parallelism: string, stream: MemoryStream) {
  observed.inStage = 0;
  observed.mostInStage = 0;
  observed.written = new Map();
  const yaml = `
name: keyed
source: { type: memory, stream: in, lanes: 1, follow: false }
processors: [{ type: waiting }]
sinks: { out: { type: ordered } }
delivery: { maxBatchRecords: 10 }
${parallelism}`;
  const loaded = loadPipelineText(yaml, 'test.yaml', registry, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const resources = new ResourcePool();
  resources.set('memory-stream:in', stream);
  const runner = await PipelineRunner.create(
    loaded.plan,
    {
      logger: silentLogger,
      metrics: new PipelineMetrics(),
      resources,
      deadLetters: new MemoryDeadLetters(),
      endpoints: readEndpoints({}),
    },
    new AbortController().signal,
  );
  await runner.start();
  await (runner.sourceComponent as unknown as { drained(): Promise<void> }).drained();
  await runner.stop();
}

const stream = () => {
  const s = new MemoryStream(1);
  for (let n = 0; n < 300; n++) s.append({ key: `k${n % 17}`, value: { n } });
  return s;
};

describe('parallelism by key', () => {
  it('processes records of different keys of one lane at the same time, each key in order', async () => {
    const s = stream();
    await run('parallelism: { by: key, maxInFlight: 4 }', s);
    expect(observed.mostInStage).toBeGreaterThan(1);
    expect(observed.mostInStage).toBeLessThanOrEqual(4);
    expect(observed.written.size).toBe(17);
    for (const [key, values] of observed.written) {
      expect(values, key).toEqual([...values].sort((a, b) => a - b));
      expect(values).toHaveLength(Number(key.slice(1)) < 300 % 17 ? 18 : 17);
    }
    // Committed to the end of the lane: every batch was durable in all its groups.
    expect(s.committed).toEqual([300]);
  });

  it('holds one record at a time in a lane without it', async () => {
    const s = stream();
    await run('', s);
    expect(observed.mostInStage).toBe(1);
    expect(s.committed).toEqual([300]);
  });

  it('is refused in a pipeline file with an unknown strategy, naming the path', () => {
    const loaded = loadPipelineText(
      `name: x\nsource: { type: memory, stream: in }\nsinks: { out: { type: ordered } }\nparallelism: { by: value }\n`,
      'bad.yaml',
      registry,
      {},
    );
    expect(loaded.ok).toBe(false);
    expect(JSON.stringify(loaded)).toContain('parallelism.by');
  });
});
