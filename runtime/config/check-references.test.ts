import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memorySink } from '../../connectors/memory/memory-sink.js';
import { memorySource } from '../../connectors/memory/memory-source.js';
import {
  defineProcessor,
  defineResource,
  defineSink,
  resourceRef,
  resourceType,
  sinkRef,
} from '../contract/index.js';
import { createRegistry } from '../registry/index.js';
import { formatProblem, loadPipelineText } from './load-pipeline.js';

// Two kinds of resources, a stage that names one of them and a sink, and a sink that names one too.
const tables = resourceType<{ tables: string[] }>('tables');
const indices = resourceType<{ indices: string[] }>('indices');
const tablesResource = defineResource({
  provides: tables,
  summary: 'test resource',
  config: z.object({ size: z.number().default(3).describe('How many.') }),
  example: 'type: tables',
  create: () => ({ tables: [] }),
});
const indicesResource = defineResource({
  provides: indices,
  summary: 'test resource',
  config: z.object({}),
  example: 'type: indices',
  create: () => ({ indices: [] }),
});
const stage = defineProcessor({
  name: 'stage',
  summary: 'test processor',
  config: z.object({
    catalog: resourceRef(tables, 'The tables resource.'),
    sink: sinkRef(['writer'], 'The writer sink.', { shares: ['catalog'] }),
  }),
  example: 'type: stage',
  create: () => ({ process: (record) => [record] }),
});
const writer = defineSink({
  name: 'writer',
  summary: 'test sink',
  config: z.object({ catalog: resourceRef(tables, 'The tables resource.') }),
  example: 'type: writer',
  create: () => ({ write: () => Promise.resolve({ failed: [] }) }),
});
const registry = createRegistry([memorySource, memorySink, tablesResource, indicesResource, stage, writer]);

const problemsOf = (text: string) => {
  const result = loadPipelineText(text, 'p.yaml', registry, {});
  return result.ok ? [] : result.problems.map(formatProblem);
};

const file = (resources: string, stageConfig: string, sinks: string) =>
  [
    'name: p1',
    'resources:',
    resources,
    'source: { type: memory }',
    'processors:',
    `  - { type: stage, ${stageConfig} }`,
    'sinks:',
    sinks,
  ].join('\n');

describe('references between the parts of a pipeline file', () => {
  it('accepts references to a declared resource and sink of the right types, and plans the resources', () => {
    const text = file('  t: { type: tables }', 'catalog: t, sink: w', '  w: { type: writer, catalog: t }');
    const result = loadPipelineText(text, 'p.yaml', registry, {});
    expect(result.ok && result.plan.resources.t).toMatchObject({
      type: 'tables',
      config: { size: 3 },
      path: 'resources.t',
    });
  });

  it('says what a missing reference field must name', () => {
    expect(
      problemsOf(file('  t: { type: tables }', 'catalog: t', '  w: { type: writer, catalog: t }')),
    ).toEqual(['p.yaml:6:5 processors[0].sink: is required: the name of a writer sink of this pipeline']);
  });

  it('reports a resource that is not declared, suggesting a near name', () => {
    expect(
      problemsOf(
        file(
          '  tables1: { type: tables }',
          'catalog: tables2, sink: w',
          '  w: { type: writer, catalog: tables1 }',
        ),
      ),
    ).toEqual([
      "p.yaml:6:29 processors[0].catalog: no resource named 'tables2' (declare one of type tables under resources:); did you mean 'tables1'?",
      'p.yaml:6:44 processors[0].sink: sink \'w\' has catalog: "tables1" and this processor catalog: "tables2"; they must name the same one',
    ]);
  });

  it('reports a resource of another type', () => {
    expect(
      problemsOf(
        file(
          '  t: { type: tables }\n  i: { type: indices }',
          'catalog: i, sink: w',
          '  w: { type: writer, catalog: t }',
        ),
      ),
    ).toEqual([
      "p.yaml:7:29 processors[0].catalog: resource 'i' is of type indices; expected type tables",
      'p.yaml:7:38 processors[0].sink: sink \'w\' has catalog: "t" and this processor catalog: "i"; they must name the same one',
    ]);
  });

  it('reports a sink that is missing or of another type', () => {
    expect(
      problemsOf(file('  t: { type: tables }', 'catalog: t, sink: out', '  w: { type: writer, catalog: t }')),
    ).toEqual(["p.yaml:6:38 processors[0].sink: no sink named 'out' in this pipeline; sinks: 'w'"]);
    expect(problemsOf(file('  t: { type: tables }', 'catalog: t, sink: m', '  m: { type: memory }'))).toEqual(
      ["p.yaml:6:38 processors[0].sink: sink 'm' is a memory sink; expected writer"],
    );
  });

  it('checks references of sinks too', () => {
    expect(
      problemsOf(file('  t: { type: tables }', 'catalog: t, sink: w', '  w: { type: writer, catalog: x }')),
    ).toEqual(
      expect.arrayContaining([
        "p.yaml:8:31 sinks.w.catalog: no resource named 'x' (declare one of type tables under resources:); did you mean 't'?",
      ]),
    );
  });
});
