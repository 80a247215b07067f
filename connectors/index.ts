// Every connector component, in one array the CLI hands to the registry.
import type { ComponentSpec } from '../runtime/contract/index.js';
import { couchdbSource } from './couchdb/couchdb-source.js';
import { logSink } from './log/log-sink.js';
import { memorySink } from './memory/memory-sink.js';
import { memorySource } from './memory/memory-source.js';
import { noopSink } from './noop/noop-sink.js';
import { outboxSource } from './outbox/outbox-source.js';
import { kafkaSink } from './kafka/kafka-sink.js';
import { kafkaSource } from './kafka/kafka-source.js';
import { postgresSink } from './postgres/postgres-sink.js';
import { searchIndexResource } from './search/search-index-resource.js';
import { searchSink } from './search/search-sink.js';
import { ucrPostgresSink } from './ucr/ucr-postgres-sink.js';
import { ucrCatalogResource } from './ucr/ucr-catalog-resource.js';

export const connectors: readonly ComponentSpec[] = [
  kafkaSource,
  memorySource,
  couchdbSource,
  outboxSource,
  kafkaSink,
  postgresSink,
  ucrPostgresSink,
  searchSink,
  memorySink,
  logSink,
  noopSink,
  ucrCatalogResource,
  searchIndexResource,
] as const;
