import { describe, expect, it } from 'vitest';
import { PipelineMetrics } from './metrics.js';

describe('pipeline metrics', () => {
  it('reports the age of every view build a pipeline runs at each scrape, and forgets finished ones', async () => {
    const metrics = new PipelineMetrics({ defaultMetrics: false });
    let builds = new Map([['d1_visits', 42.5]]);
    metrics.observe(() => ({
      pipeline: 'ucr',
      ready: true,
      paused: false,
      lagSeconds: new Map(),
      buildAgeSeconds: builds,
    }));
    expect(await metrics.registry.metrics()).toContain(
      'tributary_view_build_age_seconds{pipeline="ucr",view="d1_visits"} 42.5',
    );
    builds = new Map();
    expect(await metrics.registry.metrics()).not.toContain('view="d1_visits"');
  });
});
