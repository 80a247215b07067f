/**
 * Search indices through the view lifecycle: a physical index named by the hash of its mapping,
 * built from the primary store behind the readers' alias; a mapping changed under load built
 * beside the live one and swapped in atomically (readers never see a partial index, the result
 * equals the primary store); the old index dropped after the grace period; `tributary reindex`
 * and `tributary status` through the resource.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../cli/registry.js';
import { tributary } from '../../cli/tributary.js';
import type { PipelineHost } from '../../cli/pipeline-host.js';
import { indexDefinitionOf, TOMBSTONE_FIELD } from '../../commcare/search/index.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { connectSearchEngine } from '../../connectors/search/create-search-engine.js';
import { searchViewCatalog } from '../../connectors/search/search-catalog.js';
import type { SearchEngine } from '../../connectors/search/search-engine.js';
import type { Case } from '../../schemas/generated/case.js';
import {
  createTopic,
  eventually,
  planOf,
  startPipelines,
  testDatabase,
} from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';
import { caseEvent, configFolder, produceCases, storeEvents, unionSchemaFile } from '../ucr/ucr-fixtures.js';
import { dropIndices } from './search-fixtures.js';

const names = testNames(import.meta.url);
const domain = `d-${names.id.slice(-8)}`;
const prefix = `${names.id}_`;
const alias = `${prefix}cases`;
const topic = names.topic('cases');
const documents = 600;
const database = await testDatabase();
const folder = await configFolder();
const pipelineFile = join(tmpdir(), `${names.id}.yaml`);
let engine: SearchEngine;
let host: PipelineHost | undefined;
let mapping: Record<string, unknown>;

const yaml = `
name: ${names.id}
resources:
  search:
    type: search-index
    indexPrefix: ${prefix}
    mappings: ${folder.path}
    indices: [cases]
    backfillDomains: ['${domain}']
    backfillChunkDocs: 100
    buildStartDelayMs: 0
    catalogPollMs: 300
    mappingsPollMs: 300
    graceMs: 1000
source:
  type: kafka
  topics: ['${topic}']
  value: { format: avro, schemaFile: ${unionSchemaFile} }
processors:
  - { type: search-documents, catalog: search, sink: search }
sinks:
  search: { type: search, catalog: search }
delivery:
  maxBatchRecords: 200
  maxWaitMs: 50
`;

const hashOf = (json: unknown) => indexDefinitionOf(json, 'test').hash;
const visible = { bool: { must_not: [{ term: { [TOMBSTONE_FIELD]: true } }] } };

/** Every case id in the alias with its version, as readers see it after a refresh. */
async function versionsIn(index: string): Promise<Map<string, number>> {
  await engine.refresh(index);
  const response = await engine.search(index, { size: 10_000, query: visible, _source: ['round'] });
  return new Map(response.hits.map((hit) => [hit.id, Number(hit.source.round)]));
}

/** Every case id of the test domain with its version in the primary store. */
async function storeVersions(): Promise<Map<string, number>> {
  const rows = await database.db.any<{ case_id: string; version: string }>(
    'SELECT case_id, version FROM tributary_store.cases WHERE domain = $1',
    [domain],
  );
  return new Map(rows.map((row) => [row.case_id, Number(row.version)]));
}

/** Whether two id → version maps hold the same entries. */
const sameVersions = (a: Map<string, number>, b: Map<string, number>) =>
  a.size === b.size && [...a].every(([id, version]) => b.get(id) === version);

const cases = (version: number, from = 0, to = documents): Case[] =>
  Array.from({ length: to - from }, (_, i) =>
    caseEvent(domain, `${domain}-c${String(from + i).padStart(4, '0')}`, version, {
      properties: { round: String(version) },
    }),
  );

/** A change as the receiver makes it: the primary store first, then the topic. */
async function change(events: Case[]): Promise<void> {
  await storeEvents(database.db, [], events);
  await produceCases(topic, events);
}

beforeAll(async () => {
  engine = await connectSearchEngine(readEndpoints().SEARCH_URL);
  mapping = JSON.parse(await readFile('pipelines/search/cases.json', 'utf8')) as Record<string, unknown>;
  await folder.write('cases.json', mapping);
  await writeFile(pipelineFile, yaml);
  await createTopic(topic, 2);
  // Only in the primary store: the first build reads them from there, not from the topic.
  await storeEvents(database.db, [], cases(1));
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await database.db
    .none(`DELETE FROM ${searchViewCatalog.table} WHERE owner = $1`, [names.id])
    .catch(() => null);
  await database.db.none('DELETE FROM tributary_store.cases WHERE domain = $1', [domain]);
  await database.close();
  await engine.close();
  await dropIndices(prefix);
  await folder.cleanup();
  await rm(pipelineFile, { force: true });
});

describe('search indices through the view lifecycle', () => {
  it(
    'builds an index from the primary store behind its alias, named by the hash of its mapping',
    { timeout: 120_000 },
    async () => {
      host = await startPipelines([planOf(yaml, registry, process.env)]);
      const physical = `${alias}_${hashOf(mapping)}`;
      expect(
        await eventually(async () => (await engine.aliasTargets(alias)).includes(physical), 60_000),
      ).toBe(true);
      expect(await engine.aliasTargets(alias)).toEqual([physical]);
      expect(await versionsIn(alias)).toEqual(await storeVersions());
      expect((await versionsIn(alias)).size).toBe(documents);
    },
  );

  it(
    'builds a changed mapping beside the live index under load: readers never see a partial index, and the result equals the primary store',
    { timeout: 240_000 },
    async () => {
      const before = `${alias}_${hashOf(mapping)}`;
      const changed = {
        ...mapping,
        mappings: {
          ...(mapping.mappings as object),
          properties: {
            ...(mapping.mappings as { properties: object }).properties,
            lifecycle_test: { type: 'keyword' },
          },
        },
      };
      const after = `${alias}_${hashOf(changed)}`;
      let loading = true;
      let rounds = 0;
      const load = (async () => {
        for (let version = 2; loading; version++, rounds++) {
          // A third of the cases per round, so live changes land while the new index is built.
          const third = (version % 3) * (documents / 3);
          await change(cases(version, third, third + documents / 3));
        }
      })();
      let smallest = Infinity;
      let reading = true;
      const reader = (async () => {
        while (reading) {
          smallest = Math.min(smallest, await engine.count(alias, visible));
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await folder.write('cases.json', changed);
      const swapped = await eventually(
        async () => (await engine.aliasTargets(alias)).join() === after,
        120_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      loading = false;
      await load;
      reading = false;
      await reader;
      expect(swapped).toBe(true);
      expect(rounds).toBeGreaterThan(2);
      expect(smallest).toBe(documents);
      const store = await storeVersions();
      expect(await eventually(async () => sameVersions(await versionsIn(alias), store), 60_000)).toBe(true);
      // The old index is dropped once the grace period is over.
      expect(await eventually(async () => (await engine.indices(before)).length === 0, 30_000)).toBe(true);
    },
  );

  it(
    'reindexes an index with tributary reindex and lists it with tributary status',
    { timeout: 240_000 },
    async () => {
      await host?.stop();
      host = undefined;
      const live = (await engine.aliasTargets(alias))[0]!;
      const reindexed = await tributary(['reindex', pipelineFile, 'cases']);
      expect(reindexed.err).not.toMatch(/reindex cases:/);
      expect(reindexed.code).toBe(0);
      expect(reindexed.out).toMatch(/Rebuilt cases of pipeline/);
      const [now] = await engine.aliasTargets(alias);
      expect(now).not.toBe(live);
      expect(now).toMatch(new RegExp(`^${live}_r[0-9a-f]{6}$`));
      expect(await versionsIn(alias)).toEqual(await storeVersions());
      const status = await tributary(['status', pipelineFile]);
      expect(status.out).toMatch(/SEARCH INDEX/);
      expect(status.out).toMatch(new RegExp(`cases\\s+${alias}\\s+live\\s+${documents}\\s+${now}`));
      expect(status.out).toMatch(new RegExp(`cases\\s+${alias}\\s+retired \\(drop after`));
    },
  );
});
