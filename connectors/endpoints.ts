/**
 * Where every outside system lives: one environment variable per endpoint, each with the local
 * stack's default (deploy/local), read and checked in this one place. The CLI reads them once and
 * hands them to every component through its context (`ctx.endpoints`); components never read them.
 */
import { z } from 'zod';
import { redactSecrets, type Endpoints as ContractEndpoints } from '../runtime/contract/index.js';

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );

const brokerList = z
  .string()
  .trim()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port'))
      .min(1, 'expected at least one host:port'),
  );

const endpointsSchema = z.object({
  KAFKA_BROKERS: brokerList
    .default(['127.0.0.1:9092'])
    .describe('Kafka API brokers, comma-separated host:port.'),
  SCHEMA_REGISTRY_URL: url(['http:', 'https:'])
    .default('http://127.0.0.1:8081/apis/ccompat/v7')
    .describe('Confluent-API schema registry base URL.'),
  DATABASE_URL: url(['postgres:', 'postgresql:'])
    .default('postgres://tributary:tributary@127.0.0.1:5432/tributary')
    .describe('PostgreSQL: the primary store (forms, cases, outbox) and the UCR tables.'),
  REDIS_URL: url(['redis:', 'rediss:'])
    .default('redis://127.0.0.1:6379')
    .describe('Redis: caches, export progress.'),
  SEARCH_URL: url(['http:', 'https:'])
    .default('http://127.0.0.1:9200')
    .describe('Elasticsearch or OpenSearch cluster URL.'),
  COUCHDB_URL: url(['http:', 'https:'])
    .default('http://127.0.0.1:5984')
    .describe('CouchDB API server: configuration documents and their changes feed.'),
  S3_ENDPOINT: url(['http:', 'https:'])
    .default('http://127.0.0.1:9000')
    .describe('S3 API endpoint: the blob store.'),
  S3_REGION: z.string().min(1).default('us-east-1').describe('S3 region.'),
  S3_ACCESS_KEY: z.string().min(1).default('tributary').describe('S3 access key id.'),
  S3_SECRET_KEY: z.string().min(1).default('tributary-secret').describe('S3 secret key.'),
  S3_BUCKET: z
    .string()
    .min(3)
    .default('tributary')
    .describe('Bucket for raw submissions, attachments and exports.'),
});

/** The contract's endpoints (what every component's context carries), as read here. */
export type Endpoints = ContractEndpoints;

/** Names and descriptions of every endpoint variable, for docs and the demo. */
export const endpointVariables = Object.entries(endpointsSchema.shape).map(([name, schema]) => ({
  name,
  description: schema.description ?? '',
}));

const secretVariable = /SECRET|PASSWORD|ACCESS_KEY|TOKEN/;

/**
 * A bad value as an error may show it: never a secret variable's, and never the credentials before
 * the last `@`, even when the value is too malformed for a URL parser (`redis//:password@host`).
 */
function shownValue(name: string, value: string): string {
  if (secretVariable.test(name)) return '(value not shown)';
  const at = value.lastIndexOf('@');
  if (at < 0) return JSON.stringify(value);
  const userinfo = value.slice(0, at);
  const afterPath = userinfo.lastIndexOf('/') + 1;
  const colon = userinfo.indexOf(':', afterPath);
  const kept = colon < 0 ? userinfo.slice(0, afterPath) : userinfo.slice(0, colon + 1);
  return JSON.stringify(`${kept}***${value.slice(at)}`);
}

export class EndpointConfigError extends Error {
  override readonly name = 'EndpointConfigError';
}

/**
 * Reads every endpoint from `env`; a variable that is unset or empty takes the local default.
 * Throws one EndpointConfigError naming every bad variable and what was expected.
 */
export function readEndpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const input = Object.fromEntries(
    Object.keys(endpointsSchema.shape).flatMap((name) => {
      const value = env[name];
      return value === undefined || value.trim() === '' ? [] : [[name, value]];
    }),
  );
  const parsed = endpointsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name}=${shownValue(name, env[name] ?? '')}: ${issue.message}`;
    });
    throw new EndpointConfigError(redactSecrets(`bad endpoint configuration:\n  ${problems.join('\n  ')}`));
  }
  const endpoints: Endpoints = parsed.data;
  return Object.freeze(endpoints);
}
