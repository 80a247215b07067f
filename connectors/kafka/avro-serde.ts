/**
 * Avro values in the Confluent wire format: magic byte 0, the schema's registry id (4 bytes, big
 * endian), then the Avro binary encoding. Encoding writes with one schema whose id is looked up
 * (or registered) once; decoding reads whatever schema id a record carries into the consumer's
 * schema, so records written years ago with v1 decode into today's shape with defaults filled.
 */
import type avro from 'avsc';
import { z } from 'zod';
import { BadConfigError, BadRecordError } from '../../runtime/contract/index.js';
import { avroType } from '../../schemas/avro-type.js';
import { findIncompatibilities } from '../../schemas/tools/schema-compatibility.js';
import type { RegisteredSchema } from './schema-registry-client.js';
import type { ValueSerde } from './serde.js';

export const avroSerdeConfig = z.object({
  subject: z
    .string()
    .min(1)
    .describe('Registry subject of the values: `<topic>-value` under the topic-name strategy.'),
  schema: z
    .custom<object>(
      (value) => value !== null && typeof value === 'object',
      'expected an Avro schema (parsed JSON)',
    )
    .describe(
      'Avro schema of the values (parsed JSON, e.g. `caseSchema` from schemas/generated): what encode writes ' +
        'and what decode reads every record into, whatever schema wrote it.',
    ),
  autoRegister: z
    .boolean()
    .default(true)
    .describe(
      'Register the schema under the subject when it is not there yet (as Confluent serializers do); when ' +
        'false, encoding fails until `tributary schemas register` has run.',
    ),
  unknownIdRecheckMs: z
    .number()
    .int()
    .nonnegative()
    .default(60_000)
    .describe(
      'How long a schema id the registry does not know is answered from memory before asking it again.',
    ),
});
export type AvroSerdeConfig = z.input<typeof avroSerdeConfig>;

/** The registry calls the serde makes: `SchemaRegistryClient` provides them. */
export interface AvroSerdeRegistry {
  /** The schema with this id; undefined when the registry has no such id. */
  getSchemaById(id: number): Promise<RegisteredSchema | undefined>;
  lookupSchema(subject: string, schema: string): Promise<number | undefined>;
  registerSchema(subject: string, schema: string): Promise<number>;
}

/** The `reason` of every BadRecordError the Avro serde throws. */
export const avroSerdeReasons = {
  /** Not magic byte 0 followed by a 4-byte id: a plain JSON or string value, or garbage. */
  notWireFormat: 'not-wire-format',
  /** The registry does not know the schema id in the record. */
  unknownSchemaId: 'unknown-schema-id',
  /** The writer schema is not Avro, or cannot be read into the consumer's schema. */
  incompatibleSchema: 'incompatible-schema',
  /** The bytes after the header are not a value of the writer schema (corrupt, truncated, trailing bytes). */
  avroDecode: 'avro-decode',
  /** The value given to encode does not fit the schema. */
  avroEncode: 'avro-encode',
} as const;

const headerBytes = 5;
const magicByte = 0;

type Reader = (bytes: Buffer) => unknown;
type Resolver = ReturnType<avro.Type['createResolver']>;

/** What a byte sequence looks like, for the message of a record that is not in the wire format. */
function describeBytes(bytes: Buffer): string {
  if (bytes.length === 0) return 'an empty value';
  const first = bytes[0]!;
  const start = bytes.subarray(0, 16);
  const printable = start.every((b) => b >= 0x20 && b < 0x7f);
  const hint =
    first === 0x7b || first === 0x5b ? ' (looks like JSON)' : printable ? ' (looks like text)' : '';
  return `${bytes.length} bytes starting ${printable ? JSON.stringify(start.toString('latin1')) : `0x${start.toString('hex')}`}${hint}`;
}

/** Paths of the fields of `value` that do not fit `type`, for encode errors. */
function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, {
    errorHook: (path, fieldValue, fieldType) => {
      const got = fieldValue === undefined ? 'nothing' : (JSON.stringify(fieldValue) ?? typeof fieldValue);
      paths.push(`${path.join('.') || '(value)'}: expected ${fieldType.typeName}, got ${got.slice(0, 60)}`);
    },
  });
  return paths;
}

export class AvroSerde<T = unknown> implements ValueSerde<T> {
  private readonly config: z.infer<typeof avroSerdeConfig>;
  private readonly type: avro.Type;
  private readonly schemaText: string;
  private readonly fingerprint: string;
  private readonly readers = new Map<number, Reader>();
  private readonly pendingReaders = new Map<number, Promise<Reader>>();
  private readonly unknownIds = new Map<number, number>();
  private writerId: number | undefined;
  private pendingWriterId: Promise<number> | undefined;
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(
    config: AvroSerdeConfig,
    private readonly registry: AvroSerdeRegistry,
  ) {
    this.config = avroSerdeConfig.parse(config);
    try {
      this.type = avroType(this.config.schema);
    } catch (error) {
      throw new BadConfigError('schema', `not a valid Avro schema: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.schemaText = JSON.stringify(this.config.schema);
    this.fingerprint = this.type.fingerprint().toString('hex');
  }

  /**
   * The registry id of this serde's schema, looked up (or registered) on the first call and then
   * kept: concurrent first calls share one request, and a failed lookup is tried again on the next
   * call. Rejects with a RetryableError while the registry cannot be reached, a BadConfigError when
   * the subject does not hold the schema and `autoRegister` is off or the registry refuses it.
   */
  schemaId(): Promise<number> {
    if (this.writerId !== undefined) return Promise.resolve(this.writerId);
    this.pendingWriterId ??= this.lookUpWriterId().then(
      (id) => {
        this.writerId = id;
        this.pendingWriterId = undefined;
        return id;
      },
      (error: unknown) => {
        this.pendingWriterId = undefined;
        throw error;
      },
    );
    return this.pendingWriterId;
  }

  private async lookUpWriterId(): Promise<number> {
    const { subject } = this.config;
    const found = await this.registry.lookupSchema(subject, this.schemaText);
    if (found !== undefined) return found;
    if (!this.config.autoRegister) {
      throw new BadConfigError(
        'subject',
        `${subject} does not hold this schema and autoRegister is off: run \`tributary schemas register\``,
      );
    }
    try {
      return await this.registry.registerSchema(subject, this.schemaText);
    } catch (error) {
      if ((error as { retryable?: boolean }).retryable === true) throw error;
      throw new BadConfigError(
        'schema',
        `the registry refused the schema for ${subject}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  async encode(value: T): Promise<Buffer> {
    const id = this.writerId ?? (await this.schemaId());
    return this.encodeWithId(id, value);
  }

  private encodeWithId(id: number, value: T): Buffer {
    let end: number;
    try {
      end = this.type.encode(value, this.scratch, headerBytes);
      while (end < 0) {
        // The scratch buffer was too small by -end bytes: grow it and write again.
        this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.scratch.length - end));
        end = this.type.encode(value, this.scratch, headerBytes);
      }
    } catch (error) {
      const paths = invalidPaths(this.type, value);
      throw new BadRecordError(
        avroSerdeReasons.avroEncode,
        `value does not fit ${this.type.name ?? 'the schema'}: ${paths.length > 0 ? paths.join('; ') : (error as Error).message}`,
        { cause: error },
      );
    }
    this.scratch[0] = magicByte;
    this.scratch.writeInt32BE(id, 1);
    const out = Buffer.allocUnsafe(end);
    this.scratch.copy(out, 0, 0, end);
    return out;
  }

  decode(bytes: Buffer): Promise<T> {
    if (bytes.length < headerBytes || bytes[0] !== magicByte) {
      return Promise.reject(
        new BadRecordError(
          avroSerdeReasons.notWireFormat,
          `value is not in the Confluent Avro wire format (magic byte 0, 4-byte schema id): ${describeBytes(bytes)}`,
        ),
      );
    }
    const id = bytes.readInt32BE(1);
    const reader = this.readers.get(id);
    if (reader) {
      try {
        return Promise.resolve(reader(bytes) as T);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.readerFor(id).then((read) => read(bytes) as T);
  }

  /** The reader of one writer schema id: fetched once, shared by concurrent first records. */
  private readerFor(id: number): Promise<Reader> {
    const unknownSince = this.unknownIds.get(id);
    if (unknownSince !== undefined && Date.now() - unknownSince < this.config.unknownIdRecheckMs) {
      return Promise.reject(this.unknownIdError(id));
    }
    let pending = this.pendingReaders.get(id);
    if (!pending) {
      pending = this.fetchReader(id).finally(() => this.pendingReaders.delete(id));
      this.pendingReaders.set(id, pending);
    }
    return pending;
  }

  private unknownIdError(id: number): BadRecordError {
    return new BadRecordError(
      avroSerdeReasons.unknownSchemaId,
      `schema id ${id} is not in the registry (subject ${this.config.subject}): the record names a schema nobody registered`,
    );
  }

  private async fetchReader(id: number): Promise<Reader> {
    const registered = await this.registry.getSchemaById(id);
    if (!registered) {
      // Garbage bytes carry random ids: keep the memory of unknown ones bounded.
      if (this.unknownIds.size >= 1_000) this.unknownIds.clear();
      this.unknownIds.set(id, Date.now());
      throw this.unknownIdError(id);
    }
    this.unknownIds.delete(id);
    const reader = this.buildReader(id, registered);
    this.readers.set(id, reader);
    return reader;
  }

  /** How to read records written with schema `id`; a reader that always throws when they cannot be read. */
  private buildReader(id: number, registered: RegisteredSchema): Reader {
    const refuse = (message: string, cause?: unknown): Reader => {
      const error = () => new BadRecordError(avroSerdeReasons.incompatibleSchema, message, { cause });
      return () => {
        throw error();
      };
    };
    if (registered.schemaType.toUpperCase() !== 'AVRO') {
      return refuse(`schema id ${id} is a ${registered.schemaType} schema, not Avro`);
    }
    let writer: avro.Type;
    try {
      writer = avroType(JSON.parse(registered.schema));
    } catch (error) {
      return refuse(`schema id ${id} is not a valid Avro schema: ${(error as Error).message}`, error);
    }
    if (writer.fingerprint().toString('hex') === this.fingerprint) return this.readWith(id, undefined);
    let resolver: Resolver;
    try {
      resolver = this.type.createResolver(writer);
    } catch (error) {
      const why = findIncompatibilities(this.type, writer)
        .map(({ field, reason }) => (field ? `field ${field}: ${reason}` : reason))
        .join('; ');
      return refuse(
        `records written with schema id ${id} (${writer.name ?? writer.typeName}) cannot be read as ${this.type.name ?? 'this schema'}: ${why || (error as Error).message}`,
        error,
      );
    }
    return this.readWith(id, resolver);
  }

  private readWith(id: number, resolver: Resolver | undefined): Reader {
    const type = this.type;
    return (bytes) => {
      let decoded: { value: unknown; offset: number };
      try {
        decoded = type.decode(bytes, headerBytes, resolver);
      } catch (error) {
        throw new BadRecordError(
          avroSerdeReasons.avroDecode,
          `cannot decode ${bytes.length} bytes with schema id ${id}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (decoded.offset < 0) {
        throw new BadRecordError(
          avroSerdeReasons.avroDecode,
          `value of ${bytes.length} bytes ends before the value of schema id ${id} does (truncated or corrupt)`,
        );
      }
      if (decoded.offset !== bytes.length) {
        throw new BadRecordError(
          avroSerdeReasons.avroDecode,
          `${bytes.length - decoded.offset} bytes left after the value of schema id ${id} (corrupt, or not written with it)`,
        );
      }
      return decoded.value;
    };
  }
}

/** An Avro serde for one subject, reading and writing `schema`; `registry` is usually a SchemaRegistryClient. */
export function createAvroSerde<T = unknown>(
  config: AvroSerdeConfig,
  registry: AvroSerdeRegistry,
): AvroSerde<T> {
  return new AvroSerde<T>(config, registry);
}
