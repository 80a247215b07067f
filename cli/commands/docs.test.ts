import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../registry.js';
import { renderPipelineSchema } from './docs.js';

describe('pipelines/pipeline.schema.json', () => {
  it('is what `tributary docs --schema` generates (run `npm run generate` after changing a component)', () => {
    expect(readFileSync('pipelines/pipeline.schema.json', 'utf8')).toBe(renderPipelineSchema(registry));
  });

  it('offers every registered component by name', () => {
    const schema = JSON.parse(renderPipelineSchema(registry)) as {
      properties: { source: { oneOf: { properties: { type: { const: string } } }[] } };
    };
    expect(schema.properties.source.oneOf.map((s) => s.properties.type.const)).toEqual(
      registry.names('source'),
    );
  });
});
