import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memorySink } from '../../connectors/memory/memory-sink.js';
import { memorySource } from '../../connectors/memory/memory-source.js';
import { MemoryStore, MemoryStream } from '../../connectors/memory/memory-stream.js';
import { loadPipelineText } from '../config/load-pipeline.js';
import {
  BadConfigError,
  BadRecordError,
  defineProcessor,
  defineSink,
  defineSource,
  RetryableError,
  type SinkRecord,
  type SourceHandler,
} from '../contract/index.js';
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
// A sink whose failures a test scripts: whole batches failing with an error nobody classified,
// a batch refused because one of its records is bad, or not ready to take writes at all.
const script = {
  unclassifiedFailures: 0,
  badKey: undefined as string | undefined,
  notReady: undefined as string | undefined,
  writes: [] as string[][],
};
const scripted = defineSink({
  name: 'scripted',
  summary: 'test sink',
  config: z.object({}),
  example: 'type: scripted',
  create: () => ({
    notReady: () => script.notReady,
    write: (records: SinkRecord[]) => {
      if (script.unclassifiedFailures > 0) {
        script.unclassifiedFailures--;
        return Promise.reject(new Error('Producing messages failed.'));
      }
      if (records.some((r) => r.key === script.badKey))
        return Promise.reject(new BadRecordError('too-large', 'a record of the batch is too large'));
      script.writes.push(records.map((r) => r.key!));
      return Promise.resolve({ failed: [] });
    },
  }),
});
// A source of one batch whose stop() fails (a group it cannot leave), and a sink that fails
// for good while the runner is stopping (a client closed under it after the shutdown bound).
const shutdown = {
  releaseWrite: () => undefined as void,
  writeStarted: Promise.resolve(),
  sinkClosed: false,
};
const stubborn = defineSource({
  name: 'stubborn',
  summary: 'test source',
  config: z.object({}),
  example: 'type: stubborn',
  create: () => {
    let batch: Promise<void> = Promise.resolve();
    return {
      start: async (handler: SourceHandler) => {
        await handler.onAssigned(['0']);
        const record = {
          key: 'k',
          value: { n: 1 },
          headers: {},
          timestamp: 0,
          raw: { key: null, value: null, headers: {} },
        };
        const control = { heartbeat: () => Promise.resolve(), isActive: () => true };
        batch = handler.onBatch('0', [{ ...record, position: { lane: '0', offset: '0' } }], '1', control);
      },
      commit: () => Promise.resolve(),
      stop: async () => {
        await batch;
        throw new Error('cannot leave the group: the coordinator is rebalancing');
      },
    };
  },
});
const closing = defineSink({
  name: 'closing',
  summary: 'test sink',
  config: z.object({}),
  example: 'type: closing',
  create: () => ({
    write: async () => {
      await new Promise<void>((resolve) => (shutdown.releaseWrite = resolve));
      throw new BadConfigError('', 'the client was closed');
    },
    close: () => {
      shutdown.sinkClosed = true;
      return Promise.resolve();
    },
  }),
});
const registry = createRegistry([memorySource, memorySink, doubler, scripted, stubborn, closing]);

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

  it('retries a batch whose sink fails with an unclassified error, writing it whole and dead-lettering nothing', async () => {
    Object.assign(script, { unclassifiedFailures: 2, badKey: undefined, notReady: undefined, writes: [] });
    const stream = new MemoryStream(1);
    for (let i = 0; i < 5; i++) stream.append({ key: `k${i}`, value: { n: i } });
    const yaml = pipelineYaml().replace('out: { type: memory, store: out }', 'out: { type: scripted }');
    const { deadLetters, metrics } = await run(yaml, stream);

    expect(deadLetters.letters).toEqual([]);
    expect(script.writes).toEqual([['k0', 'k1', 'k2', 'k3', 'k4']]);
    expect((await metrics.retries.get()).values[0]?.value).toBe(2);
  });

  it('writes records one by one only when the sink says a record of the batch is at fault', async () => {
    Object.assign(script, { unclassifiedFailures: 0, badKey: 'k2', notReady: undefined, writes: [] });
    const stream = new MemoryStream(1);
    for (let i = 0; i < 4; i++) stream.append({ key: `k${i}`, value: { n: i } });
    const yaml = pipelineYaml().replace('out: { type: memory, store: out }', 'out: { type: scripted }');
    const { deadLetters } = await run(yaml, stream);

    expect(script.writes).toEqual([['k0'], ['k1'], ['k3']]);
    expect(deadLetters.letters.map((l) => [l.record.key, l.stage, l.reason])).toEqual([
      ['k2', 'sink:out', 'too-large'],
    ]);
  });

  it('consumes and commits nothing while a sink is not ready, and says why', async () => {
    Object.assign(script, {
      unclassifiedFailures: 0,
      badKey: undefined,
      notReady: 'nothing to write to',
      writes: [],
    });
    const stream = new MemoryStream(1);
    for (let i = 0; i < 3; i++) stream.append({ key: `k${i}`, value: { n: i } });
    const loaded = loadPipelineText(
      pipelineYaml().replace('out: { type: memory, store: out }', 'out: { type: scripted }'),
      'test.yaml',
      registry,
      {},
    );
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
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(script.writes).toEqual([]);
    expect(stream.committed).toEqual([0]);
    expect(runner.ready).toBe(false);
    expect(runner.notReadyReasons()).toContain("sink 'out' is not ready: nothing to write to");

    script.notReady = undefined;
    await (runner.sourceComponent as unknown as { drained(): Promise<void> }).drained();
    await runner.stop();
    expect(script.writes).toEqual([['k0', 'k1', 'k2']]);
    expect(stream.committed).toEqual([3]);
  });

  it('stops in order, without failing, when its source cannot leave the group and a write breaks under the shutdown', async () => {
    const loaded = loadPipelineText(
      `
name: stopping
source: { type: stubborn }
sinks:
  out: { type: closing }
`,
      'test.yaml',
      registry,
      {},
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const runner = await PipelineRunner.create(
      loaded.plan,
      {
        logger: silentLogger,
        metrics: new PipelineMetrics(),
        resources: new ResourcePool(),
        deadLetters: new MemoryDeadLetters(),
        endpoints: readEndpoints({}),
      },
      new AbortController().signal,
    );
    const fatal: Error[] = [];
    runner.onFatal((e) => fatal.push(e));
    await runner.start();
    const stopped = runner.stop();
    shutdown.releaseWrite();
    await expect(stopped).resolves.toBeUndefined();
    expect(fatal).toEqual([]);
    expect(shutdown.sinkClosed).toBe(true);
  });
});
