import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memorySink } from '../../connectors/memory/memory-sink.js';
import { memorySource } from '../../connectors/memory/memory-source.js';
import { MemoryStore, MemoryStream } from '../../connectors/memory/memory-stream.js';
import { loadPipelineText } from '../config/load-pipeline.js';
import { defineProcessor, RetryableError } from '../contract/index.js';
import { createRegistry } from '../registry/index.js';
import { silentLogger } from '../telemetry/logger.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { PipelineMetrics } from '../telemetry/metrics.js';
import { MemoryDeadLetters } from './dead-letters.js';
import { PipelineRunner } from './pipeline-runner.js';
import { ResourcePool } from './resources.js';

// A processor that doubles `n`, throws for `n < 0`, and fails transiently `flaky` times first.
let flakyLeft = 0;
const doubler = defineProcessor({
  name: 'doubler',
  summary: 'test processor',
  config: z.object({}),
  example: 'type: doubler',
  create: () => ({
    process: (record) => {
      const value = record.value as { n: number };
      if (flakyLeft > 0) {
        flakyLeft--;
        throw new RetryableError('lookup store busy');
      }
      if (value.n < 0) throw new Error(`negative n: ${value.n}`);
      return [{ ...record, value: { n: value.n * 2 } }];
    },
  }),
});
const registry = createRegistry([memorySource, memorySink, doubler]);

const pipelineYaml = (extra = '') => `
name: doubling
source: { type: memory, stream: in, lanes: 3, follow: false }
processors:
  - type: doubler
sinks:
  out: { type: memory, store: out${extra} }
delivery:
  maxBatchRecords: 7
  retry: { initialDelayMs: 1, maxDelayMs: 2 }
`;

async function run(yaml: string, stream: MemoryStream) {
  const loaded = loadPipelineText(yaml, 'test.yaml', registry, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const resources = new ResourcePool();
  const store = new MemoryStore();
  resources.set('memory-stream:in', stream);
  resources.set('memory-store:out', store);
  const deadLetters = new MemoryDeadLetters();
  const metrics = new PipelineMetrics();
  const runner = await PipelineRunner.create(
    loaded.plan,
    { logger: silentLogger, metrics, resources, deadLetters, endpoints: readEndpoints({}) },
    new AbortController().signal,
  );
  const fatal: Error[] = [];
  runner.onFatal((e) => fatal.push(e));
  await runner.start();
  await (runner.sourceComponent as unknown as { drained(): Promise<void> }).drained();
  await runner.stop();
  return { store, deadLetters, metrics, fatal };
}

describe('PipelineRunner', () => {
  it('writes the last version of every key and commits every lane to its end', async () => {
    const stream = new MemoryStream(3);
    for (let i = 0; i < 100; i++) stream.append({ key: `k${i % 10}`, value: { n: i } });
    const { store, deadLetters, fatal } = await run(pipelineYaml(), stream);

    expect(fatal).toEqual([]);
    expect(deadLetters.letters).toEqual([]);
    const live = store.live('default');
    expect(live.size).toBe(10);
    for (let k = 0; k < 10; k++) expect(live.get(`k${k}`)).toEqual({ n: (90 + k) * 2 });
    expect(stream.committed).toEqual(stream.lanes.map((lane) => lane.length));
  });

  it("reports each lane's lag behind the end of the stream as it goes", async () => {
    const stream = new MemoryStream(1);
    for (let i = 0; i < 20; i++) stream.append({ key: `k${i}`, value: { n: i } });
    const { metrics } = await run(pipelineYaml(), stream);
    // Batches of 7: after each, the lag is what remains (13, 6, 0); the gauge keeps the last.
    expect((await metrics.consumerLag.get()).values).toEqual([
      { value: 0, labels: { pipeline: 'doubling', lane: '0' } },
    ]);
  });

  it('dead-letters a record a processor rejects, with its stage and reason, and goes on', async () => {
    const stream = new MemoryStream(3);
    stream.append(
      { key: 'a', value: { n: 1 } },
      { key: 'b', value: { n: -5 } },
      { key: 'c', value: { n: 3 } },
    );
    const { store, deadLetters, metrics } = await run(pipelineYaml(), stream);

    expect([...store.live('default').keys()].sort()).toEqual(['a', 'c']);
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]).toMatchObject({
      stage: 'processor[0]:doubler',
      message: 'negative n: -5',
      errorClass: 'Error',
    });
    expect(deadLetters.letters[0]!.record.key).toBe('b');
    expect((await metrics.deadLetters.get()).values[0]?.value).toBe(1);
    expect(stream.committed).toEqual(stream.lanes.map((lane) => lane.length));
  });

  it('retries transient processor and sink failures without skipping a record', async () => {
    flakyLeft = 3;
    const stream = new MemoryStream(3);
    for (let i = 0; i < 20; i++) stream.append({ key: `k${i}`, value: { n: i } });
    const yaml = pipelineYaml().replace('store: out }', 'store: out, failFirstWrites: 2 }');
    const { store, deadLetters, metrics } = await run(yaml, stream);

    expect(deadLetters.letters).toEqual([]);
    expect(store.live('default').size).toBe(20);
    const retries = (await metrics.retries.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(retries).toBe(5);
  });
});
