import { describe, expect, it } from 'vitest';
import { formatProblem, loadPipelineText } from '../../runtime/config/index.js';
import { createRegistry } from '../../runtime/registry/index.js';
import { memorySource } from '../memory/memory-source.js';
import { postgresSink } from './postgres-sink.js';

const registry = createRegistry([memorySource, postgresSink]);
const problems = (sink: string) => {
  const loaded = loadPipelineText(
    `name: p\nsource: { type: memory }\nsinks:\n  table: { type: postgres, table: docs, ${sink} }\n`,
    'p.yaml',
    registry,
    {},
  );
  return loaded.ok ? [] : loaded.problems.map(formatProblem);
};

describe('postgres sink configuration', () => {
  it('takes its versions from exactly one place', () => {
    expect(problems('versionField: version')).toEqual([]);
    expect(problems('versionFrom: offset')).toEqual([]);
    expect(problems('versionFrom: routing')).toEqual([]);
    const expected = /sinks\.table\.versionFrom: set exactly one of versionField .* and versionFrom/;
    expect(problems('key: [id]')).toEqual([expect.stringMatching(expected)]);
    expect(problems('versionField: version, versionFrom: offset')).toEqual([expect.stringMatching(expected)]);
  });
});
