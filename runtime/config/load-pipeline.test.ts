import { describe, expect, it } from 'vitest';
import { memorySink } from '../../connectors/memory/memory-sink.js';
import { memorySource } from '../../connectors/memory/memory-source.js';
import { noopProcessor } from '../../processors/noop/noop-processor.js';
import { createRegistry } from '../registry/index.js';
import { formatProblem, loadPipelineText } from './load-pipeline.js';

const registry = createRegistry([memorySource, memorySink, noopProcessor]);
const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}) => {
  const result = loadPipelineText(text, 'p.yaml', registry, env);
  return result.ok ? [] : result.problems.map(formatProblem);
};

describe('loadPipelineText', () => {
  it('applies defaults and freezes the plan', () => {
    const result = loadPipelineText(
      'name: p1\nsource: { type: memory }\nsinks:\n  out: { type: memory }\n',
      'p.yaml',
      registry,
      {},
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.delivery.maxBatchRecords).toBe(500);
    expect(result.plan.delivery.retry.maxDelayMs).toBe(5_000);
    expect(result.plan.deadLetter.topic).toBe('p1.dead-letter');
    expect(result.plan.source.config).toEqual({ stream: 'default', lanes: 1, follow: true });
    expect(Object.isFrozen(result.plan.source.config)).toBe(true);
  });

  it('suggests the nearest known component for an unknown type, at its line and column', () => {
    expect(problemsOf('name: p1\nsource:\n  type: memroy\nsinks:\n  out: { type: memory }\n')).toEqual([
      "p.yaml:3:9 source.type: unknown source type 'memroy'; did you mean 'memory'?",
    ]);
  });

  it('reports every problem at once: unknown keys, wrong types, missing fields', () => {
    const text = [
      'name: p1',
      'source: { type: memory, lanes: many, colour: red }',
      'processors:',
      '  - type: noop',
      '    extra: 1',
      'delivery:',
      '  maxBatchRecords: -1',
      'sinks:',
      '  out: { type: memory }',
    ].join('\n');
    expect(problemsOf(text.replace('name: p1', 'name: P1'))).toEqual([
      'p.yaml:1:7 name: expected lowercase letters, digits, ".", "_" or "-", starting with a letter',
      'p.yaml:2:32 source.lanes: expected number, received string',
      "p.yaml:2:38 source.colour: unknown key for source 'memory'",
      "p.yaml:5:5 processors[0].extra: unknown key for processor 'noop'",
      'p.yaml:7:20 delivery.maxBatchRecords: Too small: expected number to be >0',
    ]);
  });

  it('names a missing required section', () => {
    expect(problemsOf('name: p1\nsource: { type: memory }\n')).toEqual([
      'p.yaml:1:1 sinks: is required (expected record)',
    ]);
  });

  it('interpolates ${VAR} and ${VAR:-default}, typing unquoted values', () => {
    // In flow style (`{ … }`) a reference must be quoted: its braces would end the mapping.
    const text =
      'name: ${NAME:-p1}\nsource:\n  type: memory\n  lanes: ${LANES}\nsinks:\n  out: { type: memory, store: "${STORE:-s}" }\n';
    const result = loadPipelineText(text, 'p.yaml', registry, { LANES: '4' });
    expect(result.ok && [result.plan.name, result.plan.source.config, result.plan.sinks.out!.config]).toEqual(
      [
        'p1',
        { stream: 'default', lanes: 4, follow: true },
        { store: 's', target: 'default', failFirstWrites: 0 },
      ],
    );
  });

  it('names an unset variable without default where it is used', () => {
    expect(
      problemsOf('name: p1\nsource: { type: memory, stream: "${TOPIC}" }\nsinks:\n  out: { type: memory }\n'),
    ).toEqual([
      'p.yaml:2:33 source.stream: environment variable TOPIC is not set and has no default (write ${TOPIC:-default})',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problemsOf('name: p1\nsource:\n  type: memory\n   lanes: 2\n')[0]).toBe(
      'p.yaml:3:9 (file): YAML syntax: Nested mappings are not allowed in compact mappings',
    );
  });
});
