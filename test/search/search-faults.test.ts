/**
 * The search pipeline against a search engine that fails: a node of this test's own whose write
 * queue holds one request (bulk requests are rejected with 429 es_rejected_execution_exception
 * under load), then killed for 30 s while changes keep arriving. Nothing acknowledged is lost:
 * once the node answers again every case is in both indices at its latest version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineHost } from '../../cli/pipeline-host.js';
import { registry } from '../../cli/registry.js';
import { connectSearchEngine } from '../../connectors/search/create-search-engine.js';
import type { SearchEngine } from '../../connectors/search/search-engine.js';
import type { Case } from '../../schemas/generated/index.js';
import { createTopic, eventually, planOf, produce, startPipelines } from '../support/pipeline-fixtures.js';
import { PrivateSearch } from '../support/private-search.js';
import { testNames } from '../support/resources.js';
import { liveDocs } from './search-fixtures.js';

const names = testNames(import.meta.url);
const prefix = `${names.id}_`;
const topic = names.topic('cases');
const node = new PrivateSearch({
  settings: ['thread_pool.write.size: 1', 'thread_pool.write.queue_size: 1'],
});
let host: PipelineHost;
let engine: SearchEngine;

const t0 = Date.UTC(2026, 0, 1);
function caseEvent(id: string, version: number): Case {
  return {
    doc_id: id,
    domain: 'faults',
    doc_type: 'CommCareCase',
    version,
    deleted: false,
    changed_on: t0 + version,
    case_type: 'member',
    name: `case ${id}`,
    owner_id: 'u1',
    opened_on: t0,
    opened_by: 'u1',
    modified_on: t0 + version,
    modified_by: 'u1',
    server_modified_on: t0 + version,
    closed: false,
    closed_on: null,
    closed_by: null,
    external_id: null,
    location_id: null,
    properties: { round: String(version), padding: 'x'.repeat(400) },
    indices: [],
    xform_ids: [],
    change_source: 'form',
  };
}

/** Produces version `version` of cases 0..count-1. */
const round = (count: number, version: number) =>
  produce(
    topic,
    Array.from({ length: count }, (_, i) => ({
      key: `c${i}`,
      value: JSON.stringify(caseEvent(`c${i}`, version)),
    })),
  );

async function versionsIn(alias: string): Promise<Map<string, string>> {
  const docs = await liveDocs(engine, alias);
  return new Map(
    [...docs].map(([id, source]) => {
      const round = (source.case_properties as { key: string; value: string }[] | undefined)?.find(
        (p) => p.key === 'round',
      );
      return [id, round?.value ?? String((source as { round?: string }).round)];
    }),
  );
}

/** True once both indices hold exactly `count` cases, each at the version `want` gives it. */
async function allAt(count: number, want: (i: number) => number): Promise<boolean> {
  for (const alias of [`${prefix}case_search`, `${prefix}cases`]) {
    const versions = await versionsIn(alias).catch(() => new Map<string, string>());
    if (versions.size !== count) return false;
    for (let i = 0; i < count; i++) if (versions.get(`c${i}`) !== String(want(i))) return false;
  }
  return true;
}

beforeAll(async () => {
  await node.start();
  engine = await connectSearchEngine(node.url);
  await createTopic(topic, 4);
  const plan = planOf(
    `
name: ${names.id}
source: { type: kafka, topics: ['${topic}'], value: { format: json } }
resources:
  search:
    type: search-index
    searchUrl: ${node.url}
    indexPrefix: ${prefix}
    indices: [cases, case_search]
    backfill: false
    buildStartDelayMs: 0
    requestTimeoutMs: 5000
processors:
  - type: search-documents
    catalog: search
    sink: search
sinks:
  search:
    type: search
    catalog: search
    maxBulkActions: 200
    maxInFlight: 3
    requestTimeoutMs: 5000
delivery:
  maxBatchRecords: 400
  maxInFlight: 4
  retry: { initialDelayMs: 100, maxDelayMs: 2000 }
`,
    registry,
  );
  host = await startPipelines([plan]);
}, 300_000);

afterAll(async () => {
  await host?.stop();
  await engine?.close();
  await node.destroy();
});

describe('the search pipeline when the engine fails', () => {
  it(
    'loses nothing when the engine rejects bulk requests (429) under load',
    { timeout: 240_000 },
    async () => {
      const before = await rejectedWrites();
      await round(3000, 1);
      await round(3000, 2);
      expect(await eventually(() => allAt(3000, () => 2), 180_000, 1000)).toBe(true);
      // The write queue of one did reject requests: the sink retried them rather than skip them.
      expect(await rejectedWrites()).toBeGreaterThan(before);
    },
  );

  it(
    'converges once the engine is back after being down for 30 s under load',
    { timeout: 300_000 },
    async () => {
      await round(3000, 3);
      await node.stop();
      const down = Date.now();
      await round(3000, 4);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - down))));
      await round(3000, 5);
      await node.start();
      await round(1500, 6);
      const converged = await eventually(() => allAt(3000, (i) => (i < 1500 ? 6 : 5)), 200_000, 1000);
      expect(converged).toBe(true);
    },
  );
});

async function rejectedWrites(): Promise<number> {
  const response = await fetch(`${node.url}/_nodes/stats/thread_pool`);
  const stats = (await response.json()) as {
    nodes: Record<string, { thread_pool: { write: { rejected: number } } }>;
  };
  return Object.values(stats.nodes).reduce((sum, n) => sum + n.thread_pool.write.rejected, 0);
}
