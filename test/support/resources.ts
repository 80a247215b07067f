/**
 * Isolated names for one test file, so test files run in parallel and re-run against a stack that
 * still holds earlier runs' data without cleaning anything. Every name is lowercase, starts with
 * a letter and uses only [a-z0-9_-], which suits topics, schemas, indices, databases and buckets.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TestNames {
  /** `t_<file>_<random>`: unique per test file and run. */
  readonly id: string;
  /** A topic name, also the Kafka consumer group and transactional id prefix. */
  topic(name: string): string;
  /** The topic-name-strategy subject of a topic's values. */
  valueSubject(topic: string): string;
  /** A PostgreSQL schema (quote-free identifier). */
  pgSchema(): string;
  /** Search index name (search indices must be lowercase). */
  index(name: string): string;
  /** CouchDB database name (must start with a letter). */
  couchDb(name: string): string;
  /** Object key prefix inside the shared bucket. */
  objectPrefix(): string;
  /** Redis key prefix. */
  redisPrefix(): string;
}

export function testNames(moduleUrl: string): TestNames {
  const file = basename(fileURLToPath(moduleUrl))
    .replace(/\.test\.ts$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 24);
  const id = `t_${file}_${randomBytes(4).toString('hex')}`;
  return {
    id,
    topic: (name) => `${id}.${name}`,
    valueSubject: (topic) => `${topic}-value`,
    pgSchema: () => id,
    index: (name) => `${id}_${name}`,
    couchDb: (name) => `${id}_${name}`,
    objectPrefix: () => `${id}/`,
    redisPrefix: () => `${id}:`,
  };
}
