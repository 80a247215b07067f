import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readEndpoints } from '../../connectors/endpoints.js';
import { memorySink } from '../../connectors/memory/memory-sink.js';
import { MemorySource, memorySource } from '../../connectors/memory/memory-source.js';
import { MemoryStore, MemoryStream } from '../../connectors/memory/memory-stream.js';
import { loadPipelineText } from '../config/load-pipeline.js';
import {
  defineProcessor,
  defineResource,
  defineSink,
  resourceRef,
  resourceType,
  type BoundedRunResult,
  type ResourceContext,
} from '../contract/index.js';
import { createRegistry } from '../registry/index.js';
import { silentLogger } from '../telemetry/logger.js';
import { PipelineMetrics } from '../telemetry/metrics.js';
import { MemoryDeadLetters } from './dead-letters.js';
import { PipelineRunner } from './pipeline-runner.js';
import { ResourcePool } from './resources.js';

/** What the components did, in order. */
let events: string[] = [];

interface Tagger {
  tag: string;
}
const taggerType = resourceType<Tagger>('tagger');
let lastContext: ResourceContext | undefined;
const taggerResource = defineResource({
  provides: taggerType,
  summary: 'test resource',
  config: z.object({ tag: z.string().describe('The tag.') }),
  example: 'type: tagger',
  create: (config, ctx) => {
    events.push('resource created');
    lastContext = ctx;
    return {
      tag: config.tag,
      start: () => Promise.resolve(void events.push('resource started')),
      close: () => Promise.resolve(void events.push('resource closed')),
    };
  },
});
// Tags every record with its resource's tag; fails records with a negative n.
const tagStage = defineProcessor({
  name: 'tag',
  summary: 'test processor',
  config: z.object({ tagger: resourceRef(taggerType, 'The tagger.') }),
  example: 'type: tag',
  create: (config, ctx) => {
    const tagger = ctx.resource(taggerType, config.tagger);
    return {
      process: (record) => {
        const { n } = record.value as { n: number };
        if (n < 0) throw new Error(`negative n: ${n}`);
        return [{ ...record, value: { n, tag: tagger.tag } }];
      },
    };
  },
});
const recordingSink = defineSink({
  name: 'recording',
  summary: 'test sink',
  config: z.object({}),
  example: 'type: recording',
  create: () => ({
    start: () => Promise.resolve(void events.push('sink started')),
    write: () => Promise.resolve({ failed: [] }),
    close: () => Promise.resolve(void events.push('sink closed')),
  }),
});
const registry = createRegistry([memorySource, memorySink, taggerResource, tagStage, recordingSink]);

const yaml = `
name: tagging
resources:
  t: { type: tagger, tag: live }
source: { type: memory, stream: in, follow: false }
processors:
  - { type: tag, tagger: t }
sinks:
  out: { type: memory, store: out }
  log: { type: recording }
`;

async function runner(stream: MemoryStream, store: MemoryStore, deadLetters = new MemoryDeadLetters()) {
  const loaded = loadPipelineText(yaml, 'test.yaml', registry, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const resources = new ResourcePool();
  resources.set('memory-stream:in', stream);
  resources.set('memory-store:out', store);
  return PipelineRunner.create(
    loaded.plan,
    {
      logger: silentLogger,
      metrics: new PipelineMetrics(),
      resources,
      deadLetters,
      endpoints: readEndpoints({}),
    },
    new AbortController().signal,
  );
}

describe('declared resources', () => {
  it('creates each resource once, starts it before the sinks and closes it after every component', async () => {
    events = [];
    const stream = new MemoryStream(1);
    stream.append({ key: 'a', value: { n: 1 } });
    const store = new MemoryStore();
    const run = await runner(stream, store);
    await run.start();
    await (run.sourceComponent as MemorySource).drained();
    await run.stop();
    expect(events).toEqual([
      'resource created',
      'resource started',
      'sink started',
      'sink closed',
      'resource closed',
    ]);
    expect(store.live('default').get('a')).toEqual({ n: 1, tag: 'live' });
  });

  it("runs a bounded source through fresh instances of the pipeline's stages and sinks, with a stand-in resource", async () => {
    events = [];
    const store = new MemoryStore();
    const deadLetters = new MemoryDeadLetters();
    const run = await runner(new MemoryStream(1), store, deadLetters);
    const backfill = new MemoryStream(2);
    for (let n = 0; n < 30; n++) backfill.append({ key: `k${n}`, value: { n } });
    backfill.append({ key: 'bad', value: { n: -1 } });
    const source = new MemorySource(backfill, false, {
      ...lastContext!,
      delivery: { ...lastContext!.delivery, maxBatchRecords: 4 },
    });
    const result: BoundedRunResult = await lastContext!.runBounded(source, {
      label: 'build:test',
      resources: { t: { tag: 'build' } },
    });
    expect(result).toEqual({ records: 31, deadLetters: 1 });
    const written = store.live('default');
    expect(written.size).toBe(30);
    expect([...written.values()].every((value) => (value as Tagger).tag === 'build')).toBe(true);
    expect(deadLetters.letters.map((l) => [l.stage, l.record.key])).toEqual([['processor[0]:tag', 'bad']]);
    // Every lane of the bounded source was committed to its end; its sinks were started and closed.
    expect(backfill.committed).toEqual(backfill.lanes.map((lane) => lane.length));
    expect(events).toEqual(['resource created', 'sink started', 'sink closed']);
    await run.stop();
  });

  it('rejects a bounded run when its pipeline stops first', async () => {
    const run = await runner(new MemoryStream(1), new MemoryStore());
    const endless = new MemorySource(new MemoryStream(1), true, lastContext!);
    const pending = lastContext!.runBounded(endless, { label: 'build:endless' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await run.stop();
    await expect(pending).rejects.toThrow(/stopped before the end of its source/);
  });

  it('refuses a source that cannot end', async () => {
    const run = await runner(new MemoryStream(1), new MemoryStore());
    const unbounded = {
      start: () => Promise.resolve(),
      commit: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    };
    await expect(lastContext!.runBounded(unbounded, { label: 'x' })).rejects.toThrow(
      /needs a bounded source/,
    );
    await run.stop();
  });
});
