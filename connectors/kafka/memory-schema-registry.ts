/**
 * A schema registry in memory with the calls of `SchemaRegistryClient` that the serde uses: for
 * unit tests and benchmarks that need no server. Ids by schema text, like a registry that dedupes
 * content; no compatibility rules. `unavailable` makes every call fail as an unreachable registry.
 */
import { RetryableError } from '../../runtime/contract/index.js';
import type { AvroSerdeRegistry } from './avro-serde.js';
import type { RegisteredSchema } from './schema-registry-client.js';

export class MemorySchemaRegistry implements AvroSerdeRegistry {
  /** While true, every call rejects with a RetryableError, like a registry that cannot be reached. */
  unavailable = false;
  /** How many calls of each kind were made, to see what a cache saved. */
  readonly calls = { getSchemaById: 0, lookupSchema: 0, registerSchema: 0 };
  private readonly ids = new Map<string, number>();
  private readonly schemas = new Map<number, string>();
  private readonly subjects = new Map<string, Set<number>>();

  constructor(private readonly firstId = 1) {}

  /** The answer of `answer()`, or a RetryableError while unavailable. */
  private respond<T>(answer: () => T): Promise<T> {
    if (this.unavailable) {
      return Promise.reject(new RetryableError('schema registry unavailable: memory registry switched off'));
    }
    return Promise.resolve(answer());
  }

  /** Registers `schema` under `subject` and returns its id (the same id for the same text). */
  add(subject: string, schema: string | object): number {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.firstId + this.ids.size;
      this.ids.set(text, id);
      this.schemas.set(id, text);
    }
    const ids = this.subjects.get(subject) ?? new Set<number>();
    ids.add(id);
    this.subjects.set(subject, ids);
    return id;
  }

  getSchemaById(id: number): Promise<RegisteredSchema | undefined> {
    this.calls.getSchemaById++;
    return this.respond(() => {
      const schema = this.schemas.get(id);
      return schema === undefined ? undefined : { schema, schemaType: 'AVRO' };
    });
  }

  lookupSchema(subject: string, schema: string): Promise<number | undefined> {
    this.calls.lookupSchema++;
    return this.respond(() => {
      const id = this.ids.get(schema);
      return id !== undefined && this.subjects.get(subject)?.has(id) ? id : undefined;
    });
  }

  registerSchema(subject: string, schema: string): Promise<number> {
    this.calls.registerSchema++;
    return this.respond(() => this.add(subject, schema));
  }
}
