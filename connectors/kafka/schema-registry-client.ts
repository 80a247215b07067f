/**
 * A small client of the Confluent schema registry REST API (Redpanda's built-in registry, Apicurio's
 * ccompat API, Confluent's own): the calls the Avro serde and `tributary schemas register` make.
 * Plain `fetch`, one request per call, no cache: the serde caches.
 */
import { z } from 'zod';
import { RetryableError } from '../../runtime/contract/index.js';

export const schemaRegistryClientConfig = z.object({
  url: z
    .url({ protocol: /^https?$/ })
    .describe('Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081/apis/ccompat/v7.'),
  requestTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('How long one request may take before it counts as a transient failure.'),
});
export type SchemaRegistryClientConfig = z.input<typeof schemaRegistryClientConfig>;

/** The registry answered, and the answer is no (4xx): retrying the same request will not help. */
export class RegistryRequestError extends Error {
  override readonly name = 'RegistryRequestError';
  readonly retryable = false;
  constructor(
    message: string,
    /** HTTP status. */
    readonly status: number,
    /** The registry's `error_code`, e.g. 40401 subject not found, 40403 schema not found, 409 incompatible. */
    readonly errorCode: number | undefined,
  ) {
    super(message);
  }
}

/** A schema as the registry serves it by id. */
export interface RegisteredSchema {
  /** The schema text. */
  schema: string;
  /** `AVRO` (the default when the registry leaves it out), `JSON` or `PROTOBUF`. */
  schemaType: string;
}

const contentType = 'application/vnd.schemaregistry.v1+json';

type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export class SchemaRegistryClient {
  private readonly config: z.infer<typeof schemaRegistryClientConfig>;
  private readonly base: string;

  /** `fetchFunction` is for tests; the global `fetch` otherwise. */
  constructor(
    config: SchemaRegistryClientConfig,
    private readonly fetchFunction: FetchFunction = fetch,
  ) {
    this.config = schemaRegistryClientConfig.parse(config);
    this.base = this.config.url.replace(/\/+$/, '');
  }

  /** The base URL requests go to. */
  get url(): string {
    return this.base;
  }

  /**
   * One request. Resolves with the parsed body of a 2xx answer, or `undefined` for a 404 whose
   * error code is in `absentCodes`. A refused connection, a timeout, 429 or 5xx reject with a
   * RetryableError; any other answer with a RegistryRequestError carrying the registry's message.
   */
  private async request(
    method: string,
    path: string,
    body?: unknown,
    absentCodes: number[] = [],
  ): Promise<unknown> {
    const what = `${method} ${this.base}${path}`;
    let response: Response;
    try {
      response = await this.fetchFunction(`${this.base}${path}`, {
        method,
        headers: { accept: `${contentType}, application/json`, 'content-type': contentType },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.config.requestTimeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new RetryableError(`schema registry unavailable: ${what}: ${detail}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed;
    const answer = (parsed ?? {}) as { error_code?: number; message?: string };
    const message = `schema registry answered ${response.status} to ${what}: ${answer.message ?? text.slice(0, 200)}`;
    if (response.status === 429 || response.status >= 500) throw new RetryableError(message);
    if (
      response.status === 404 &&
      answer.error_code !== undefined &&
      absentCodes.includes(answer.error_code)
    ) {
      return undefined;
    }
    throw new RegistryRequestError(message, response.status, answer.error_code);
  }

  private subjectPath(subject: string): string {
    return `/subjects/${encodeURIComponent(subject)}`;
  }

  /** The schema with this id; undefined when the registry has no such id. */
  async getSchemaById(id: number): Promise<RegisteredSchema | undefined> {
    const body = (await this.request('GET', `/schemas/ids/${id}`, undefined, [40403])) as
      { schema: string; schemaType?: string } | undefined;
    return body && { schema: body.schema, schemaType: body.schemaType ?? 'AVRO' };
  }

  /** The id of an Avro `schema` under `subject`; undefined when the subject does not hold it (or does not exist). */
  async lookupSchema(subject: string, schema: string): Promise<number | undefined> {
    const body = (await this.request('POST', this.subjectPath(subject), { schema }, [40401, 40403])) as
      { id: number } | undefined;
    return body?.id;
  }

  /** Registers an Avro `schema` under `subject` (a no-op returning the id when it is there already). */
  async registerSchema(subject: string, schema: string): Promise<number> {
    const body = (await this.request('POST', `${this.subjectPath(subject)}/versions`, { schema })) as {
      id: number;
    };
    return body.id;
  }

  /** The subject's compatibility level; undefined when the registry reports none for it. */
  async getCompatibility(subject: string): Promise<string | undefined> {
    const body = (await this.request(
      'GET',
      `/config/${encodeURIComponent(subject)}`,
      undefined,
      [40401, 40408],
    )) as { compatibilityLevel?: string; compatibility?: string } | undefined;
    return body?.compatibilityLevel ?? body?.compatibility;
  }

  async setCompatibility(subject: string, level: string): Promise<void> {
    await this.request('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
  }

  /** True when `schema` may be registered under `subject` at its level; true for a subject that does not exist. */
  async testCompatibility(subject: string, schema: string): Promise<boolean> {
    const body = (await this.request(
      'POST',
      `/compatibility${this.subjectPath(subject)}/versions/latest`,
      { schema },
      [40401, 40402],
    )) as { is_compatible?: boolean } | undefined;
    return body?.is_compatible ?? true;
  }

  /** Every subject name. */
  async listSubjects(): Promise<string[]> {
    return (await this.request('GET', '/subjects')) as string[];
  }
}
