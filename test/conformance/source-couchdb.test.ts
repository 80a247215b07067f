import nano from 'nano';
import { afterAll } from 'vitest';
import { CouchdbSource, couchdbSource } from '../../connectors/couchdb/couchdb-source.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { standaloneContext } from '../../runtime/engine/standalone-context.js';
import { testNames } from '../support/resources.js';
import { describeSourceConformance } from './source-conformance.js';

const names = testNames(import.meta.url);
const couch = nano(readEndpoints().COUCHDB_URL);
const created: string[] = [];
let databases = 0;

afterAll(async () => {
  for (const db of created) await couch.db.destroy(db).catch(() => undefined);
});

// A document's versions are its revisions: the changes feed delivers the newest one of each document.
describeSourceConformance('couchdb', async () => {
  const name = names.couchDb(`db${++databases}`);
  await couch.db.create(name);
  created.push(name);
  const db = couch.use<Record<string, unknown>>(name);
  const revisions = new Map<string, string>();
  // The checkpoint (`_local/tributary-<pipeline>`) is kept in the database: one pipeline name per test.
  const ctx = standaloneContext({
    pipeline: name,
    endpoints: readEndpoints(),
    resources: new ResourcePool(),
  });
  const config = couchdbSource.config.parse({
    databases: [name],
    batchSize: 3,
    longpollTimeoutMs: 1000,
    defaultTopic: 'users',
  });
  return {
    append: async (items) => {
      for (const item of items) {
        const rev = revisions.get(item.key);
        const saved = await db.insert({
          _id: item.key,
          ...(rev ? { _rev: rev } : {}),
          doc_type: 'CommCareUser',
          domain: 'd',
          n: item.n,
        });
        revisions.set(item.key, saved.rev);
      }
    },
    open: () => Promise.resolve(new CouchdbSource(config, ctx)),
    read: (record) => ({ key: record.key!, n: (record.value as { n: number }).n }),
    cleanup: () => Promise.resolve(),
  };
});
