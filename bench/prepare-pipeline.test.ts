import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { preparePipeline } from './prepare-pipeline.js';

const shipped = `# comment kept
name: ucr-to-postgres
source:
  type: kafka
  topics: ['\${FORMS_TOPIC:-forms}', cases]
  value: { format: avro }
resources:
  ucr:
    type: ucr-catalog
    configFolder: pipelines/ucr
processors:
  - type: ucr
    catalog: ucr
    sink: tables
sinks:
  tables:
    type: ucr-postgres
    catalog: ucr
deadLetter:
  topic: ucr-to-postgres.dead-letter
`;

describe('preparePipeline', () => {
  const text = preparePipeline(shipped, {
    name: 'bench-ingest-ab12-w1',
    topics: { forms: 'bench_ingest_ab12.forms', cases: 'bench_ingest_ab12.cases' },
    ucrConfigFolder: '/tmp/run/ucr',
    ucrCatalogSettings: { buildStartDelayMs: 0 },
  });
  const pipeline = parse(text) as Record<string, Record<string, unknown>>;

  it('gives the run its own name, consumer group and dead-letter topic', () => {
    expect(pipeline.name).toBe('bench-ingest-ab12-w1');
    expect(pipeline.source!.group).toBe('bench-ingest-ab12-w1');
    expect(pipeline.deadLetter!.topic).toBe('bench-ingest-ab12-w1.dead-letter');
  });

  it('points both the environment defaults and literal topic names at the run topics', () => {
    expect(pipeline.source!.topics).toEqual(['bench_ingest_ab12.forms', 'bench_ingest_ab12.cases']);
  });

  it("reads the run's UCR data sources once, with the settings given", () => {
    expect(pipeline.resources!.ucr).toEqual({
      type: 'ucr-catalog',
      configFolder: '/tmp/run/ucr',
      configPollMs: 0,
      buildStartDelayMs: 0,
    });
  });

  it('keeps the rest, comments included', () => {
    expect(text.startsWith('# comment kept')).toBe(true);
    expect(pipeline.processors).toEqual([{ type: 'ucr', catalog: 'ucr', sink: 'tables' }]);
  });
});
