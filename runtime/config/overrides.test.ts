import { describe, expect, it } from 'vitest';
import { memorySink } from '../../connectors/memory/memory-sink.js';
import { memorySource } from '../../connectors/memory/memory-source.js';
import { noopProcessor } from '../../processors/noop/noop-processor.js';
import { createRegistry } from '../registry/index.js';
import { formatProblem, loadPipelineText } from './load-pipeline.js';
import { parseOverride } from './overrides.js';

const registry = createRegistry([memorySource, memorySink, noopProcessor]);
const text = [
  'name: p1',
  'source: { type: memory, lanes: 2 }',
  'processors:',
  '  - type: noop',
  'sinks:',
  '  out: { type: memory, store: a }',
  '',
].join('\n');
const load = (...sets: string[]) =>
  loadPipelineText(text, 'p.yaml', registry, {}, { overrides: sets.map(parseOverride) });

describe('--set overrides', () => {
  it('replaces a value at a dotted path, reading it as YAML', () => {
    const result = load('source.lanes=4', 'sinks.out.store=b', 'delivery.maxBatchRecords=10');
    expect(result.ok && result.plan.source.config).toMatchObject({ lanes: 4 });
    expect(result.ok && result.plan.sinks.out!.config).toMatchObject({ store: 'b' });
    expect(result.ok && result.plan.delivery.maxBatchRecords).toBe(10);
  });

  it('reaches list items by [index] or .index and appends at the end', () => {
    const result = load('processors[1]={type: noop}', 'processors.0.type=noop');
    expect(result.ok && result.plan.processors.map((p) => p.type)).toEqual(['noop', 'noop']);
  });

  it('validates the overridden value like the file itself', () => {
    const result = load('source.lanes=many');
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      'p.yaml:2:25 source.lanes: expected number, received string',
    ]);
  });

  it('refuses an index past the end of a list and a path through a scalar', () => {
    const result = load('processors[5].type=noop', 'name.first=x');
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([
      '--set processors[5].type=noop: processors is a list of 1; expected an index up to 0',
      '--set name.first=x: name is not a mapping or list',
    ]);
  });

  it('rejects text without path=value with an example', () => {
    expect(() => parseOverride('source.lanes')).toThrow(/expected path=value/);
    expect(() => parseOverride('a..b=1')).toThrow(/cannot read the path at '..b'/);
  });
});
