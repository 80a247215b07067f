import { afterAll } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { PrivateSearch } from '../support/private-search.js';
import { testNames } from '../support/resources.js';
import { doc, dropIndices, liveDocs, startSearchSink } from '../search/search-fixtures.js';
import {
  describeSinkConformance,
  sinkRecord,
  type ConformanceValue,
  type SinkUnderTest,
} from './sink-conformance.js';

const names = testNames(import.meta.url);
let opened = 0;
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A search sink on a fresh `groups` index of its own prefix (dynamic: false keeps `n` in the source). */
async function open(url: string): Promise<SinkUnderTest> {
  const prefix = `${names.id}_${++opened}_`;
  const { sink, resources } = await startSearchSink({
    searchUrl: url,
    indexPrefix: prefix,
    indices: ['groups'],
  });
  return {
    sink,
    read: async () =>
      new Map(
        [...(await liveDocs(sink.engine, `${prefix}groups`))].map(
          ([id, source]): [string, ConformanceValue] => [id, { n: source.n as number }],
        ),
      ),
    close: async () => {
      await resources.close();
      await dropIndices(prefix, url).catch(() => undefined);
    },
  };
}

describeSinkConformance(
  'search',
  {
    open: () => open(readEndpoints().SEARCH_URL),
    // What the search-documents stage emits: the index document, routed to its index with the version.
    record: (key, version, value) =>
      doc('groups', key, version, value === null ? null : { doc_id: key, domain: 'd', n: value.n }),
    malformed: (key) => sinkRecord(key, { doc_id: key, n: 1 }, { target: 'groups' }),
    // `last_modified` is a date in the groups mapping: the engine refuses the document (mapper_parsing_exception).
    refused: (key, version) =>
      doc('groups', key, version, { doc_id: key, n: 1, last_modified: 'not a date' }),
    unreachable: async () => {
      const node = new PrivateSearch();
      cleanups.push(() => node.destroy());
      await node.start();
      const under = await open(node.url);
      await node.stop();
      return { under, restore: () => node.start() };
    },
  },
  120_000,
);
