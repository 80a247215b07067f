/**
 * Why a command failed, as one plain line and an exit code: the command layer's single error path
 * (cli/dispatch.ts). Client libraries report a closed port as "metadata failed 4 times" or an
 * `ECONNREFUSED` stack; an operator needs the endpoint, the variable that set it and what to try.
 * Exit 2 when the input is wrong (a file, an argument, a variable pointing at the wrong thing),
 * 1 when a service is unreachable or refuses for its own reasons.
 */
import { inspect } from 'node:util';
import { EndpointConfigError, readEndpoints, type Endpoints } from '../connectors/endpoints.js';
import { BadConfigError, redactSecrets } from '../runtime/contract/index.js';
import { MissingVariableError } from '../runtime/config/interpolate.js';
import { SchemaCatalogError } from '../schemas/schema-catalog.js';
import { InputFileError, InputProblemsError } from './input-file.js';

export interface Failure {
  /** 1: a failure (unreachable, refused); 2: bad input. */
  code: 1 | 2;
  /** One line (more for several problems in input files, or a stack at LOG_LEVEL=debug). */
  message: string;
  /** True when the message starts with `file:line:col` and is printed without the command's name. */
  located?: boolean;
}

/** What the failing command was given, to name it in the advice. */
export interface FailureContext {
  /** `status`, `dlq list` … */
  command: string;
  /** The command's positional arguments (pipeline files, for the advice on a missing topic). */
  positionals?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

type ErrorLike = Error & {
  code?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  broker?: unknown;
  type?: unknown;
  errors?: unknown;
};

/** The error and everything it wraps (cause chains, AggregateError members), depth first. */
function* chain(error: unknown, seen = new Set<unknown>()): Generator<ErrorLike> {
  if (!(error instanceof Error) || seen.has(error)) return;
  seen.add(error);
  yield error;
  const { cause, errors } = error as ErrorLike & { cause?: unknown };
  yield* chain(cause, seen);
  if (Array.isArray(errors)) for (const member of errors) yield* chain(member, seen);
}

const networkCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection closed',
};

/** Each endpoint variable with the host:port pairs it names. */
interface EndpointAddress {
  variable: string;
  service: string;
  value: string;
  hosts: { host: string; port: string }[];
}

const services: Record<string, { service: string; defaultPort: string }> = {
  KAFKA_BROKERS: { service: 'Kafka', defaultPort: '9092' },
  SCHEMA_REGISTRY_URL: { service: 'the schema registry', defaultPort: '80' },
  DATABASE_URL: { service: 'PostgreSQL', defaultPort: '5432' },
  REDIS_URL: { service: 'Redis', defaultPort: '6379' },
  SEARCH_URL: { service: 'the search cluster', defaultPort: '9200' },
  COUCHDB_URL: { service: 'CouchDB', defaultPort: '5984' },
  S3_ENDPOINT: { service: 'the S3 blob store', defaultPort: '80' },
};

function endpointAddresses(endpoints: Endpoints): EndpointAddress[] {
  return Object.entries(services).map(([variable, { service, defaultPort }]) => {
    const raw = endpoints[variable as keyof Endpoints];
    const values = Array.isArray(raw) ? raw : [String(raw)];
    const hosts = values.map((value) => {
      if (variable === 'KAFKA_BROKERS') {
        const [host = '', port = ''] = value.split(/:(?=\d+$)/);
        return { host, port };
      }
      const url = new URL(value);
      const port = url.port || (url.protocol === 'https:' ? '443' : defaultPort);
      return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
    });
    return { variable, service, value: redactSecrets(values.join(',')), hosts };
  });
}

const sameHost = (a: string, b: string) =>
  a === b || (['127.0.0.1', 'localhost', '::1'].includes(a) && ['127.0.0.1', 'localhost', '::1'].includes(b));

/** The network failure in the chain: its address, reason, and whether Kafka's client reported it. */
function networkFailure(
  error: unknown,
): { host: string; port: string; reason: string; code: string } | undefined {
  for (const e of chain(error)) {
    const code = typeof e.code === 'string' ? e.code : '';
    const reason = networkCodes[code];
    if (!reason) continue;
    if (typeof e.address === 'string' && (typeof e.port === 'number' || typeof e.port === 'string'))
      return { host: e.address, port: String(e.port), reason, code };
    if (typeof e.broker === 'string') {
      const [host = '', port = ''] = e.broker.split(/:(?=\d+$)/);
      return { host, port, reason, code };
    }
    const named = /(?:connect|getaddrinfo) \w+ ([^\s:]+)(?::(\d+))?/.exec(e.message);
    if (named)
      return {
        host: typeof e.hostname === 'string' ? e.hostname : named[1]!,
        port: named[2] ?? '',
        reason,
        code,
      };
  }
  return undefined;
}

const fromKafkaClient = (error: unknown) =>
  [...chain(error)].some(
    (e) => (typeof e.code === 'string' && e.code.startsWith('PLT_KFK_')) || e.name.startsWith('KafkaJS'),
  );

const stackAdvice = 'npm run stack:status shows what the local stack runs; npm run stack:up starts it';

function unreachable(
  found: { host: string; port: string; reason: string; code: string },
  endpoints: EndpointAddress[],
  kafka: boolean,
): Failure {
  const where = found.port ? `${found.host}:${found.port}` : found.host;
  const match = endpoints.find((e) =>
    e.hosts.some((h) => sameHost(h.host, found.host) && (found.port === '' || h.port === found.port)),
  );
  const badName = found.code === 'ENOTFOUND';
  if (match) {
    const advice = badName
      ? `check the host name in ${match.variable}`
      : `is it running? ${stackAdvice}; or set ${match.variable} to where it runs`;
    return {
      code: badName ? 2 : 1,
      message: `cannot reach ${match.service} at ${where} (${match.variable}=${match.value}): ${found.reason}; ${advice}.`,
    };
  }
  const service = kafka ? 'Kafka' : 'a service';
  return {
    code: badName ? 2 : 1,
    message:
      `cannot reach ${service} at ${where}: ${found.reason}. No endpoint variable names this address: it comes ` +
      `from an option (such as --url) or a url:/brokers: field of the pipeline file; check that it runs there.`,
  };
}

const pgCodes: Record<string, string> = {
  '28000': 'the role is refused',
  '28P01': 'the password is refused',
  '3D000': 'the database does not exist',
};

/** Describes any error a command threw as one line and an exit code. */
export function describeFailure(error: unknown, context: FailureContext): Failure {
  const env = context.env ?? process.env;
  if (error instanceof EndpointConfigError)
    return { code: 2, message: error.message.replace(/:\n\s*/, ': ').replace(/\n\s*/g, '; ') };
  if (error instanceof InputFileError || error instanceof InputProblemsError)
    return { code: 2, message: error.message, located: true };
  if (error instanceof MissingVariableError || error instanceof SchemaCatalogError)
    return { code: 2, message: error.message };
  let endpoints: EndpointAddress[];
  try {
    endpoints = endpointAddresses(readEndpoints(env));
  } catch (bad) {
    return describeFailure(bad, context);
  }
  const kafka = fromKafkaClient(error);
  const kafkaEndpoint = endpoints.find((e) => e.variable === 'KAFKA_BROKERS')!;
  const kafkaWhere = `KAFKA_BROKERS=${kafkaEndpoint.value}`;

  const network = networkFailure(error);
  if (network) return unreachable(network, endpoints, kafka);
  const listen = [...chain(error)].find((e) => e.code === 'EADDRINUSE' || e.code === 'EACCES');
  if (listen && typeof listen.port === 'number')
    return {
      code: 1,
      message:
        `cannot listen on ${typeof listen.address === 'string' ? listen.address : ''}:${listen.port}: ` +
        (listen.code === 'EADDRINUSE'
          ? 'the port is in use (another tributary run or serve?); stop that process, or choose another port with the port option (0 for none where allowed).'
          : 'permission denied; choose a port above 1024.'),
    };

  for (const e of chain(error)) {
    if (e.code === 'PLT_KFK_UNSUPPORTED_API' || e.name === 'UnsupportedApiError')
      return {
        code: 2,
        message:
          `the server at ${kafkaWhere} answers but is not a Kafka broker listener (${e.message.replace(/\.$/, '')}): ` +
          `is it a KRaft controller port? Set KAFKA_BROKERS to the broker's listener (the local stack's is 127.0.0.1:9092).`,
      };
    const topic =
      /^Unknown topic (.+?)\.?$/.exec(e.message)?.[1] ??
      (e.type === 'UNKNOWN_TOPIC_OR_PARTITION' ? 'of the pipeline' : undefined);
    if (topic !== undefined) {
      const files = context.positionals?.length ? context.positionals.join(' ') : '<pipeline files>';
      return {
        code: 1,
        message:
          `topic ${topic} does not exist on ${kafkaWhere}: create the pipeline's topics with ` +
          `\`tributary topics ensure ${files}\`, or check the topic name in the pipeline file.`,
      };
    }
    if (typeof e.code === 'string' && pgCodes[e.code]) {
      const db = endpoints.find((x) => x.variable === 'DATABASE_URL')!;
      return {
        code: 2,
        message: `PostgreSQL at DATABASE_URL=${db.value} refuses the connection: ${e.message} (${pgCodes[e.code]}); check DATABASE_URL.`,
      };
    }
  }
  if (error instanceof BadConfigError) return { code: 2, message: error.message };
  if (kafka) {
    const first = [...chain(error)].at(-1)!;
    return {
      code: 1,
      message: `Kafka at ${kafkaWhere} failed: ${first.message} (${stackAdvice}).`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const debug = (env.LOG_LEVEL ?? '') === 'debug' || (env.LOG_LEVEL ?? '') === 'trace';
  return {
    code: 1,
    message: debug
      ? `unexpected error: ${inspect(error)}`
      : `unexpected error: ${message.split('\n')[0]} (LOG_LEVEL=debug shows where it came from).`,
  };
}
