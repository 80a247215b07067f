/**
 * How a component is declared: once, with its name, summary, zod config schema (fields described,
 * defaults included), a YAML example and a factory. Parsing, defaults, docs and the pipeline JSON
 * Schema all derive from this one object.
 */
import type { z } from 'zod';
import type { Endpoints } from './endpoints.js';
import type { PipelineRecord, Position, SinkRecord, SourceRecord } from './record.js';
import type { ResourceSpec, ResourceType } from './resource.js';
import type { ComponentStatus, StatusContext } from './status.js';

export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  child(fields: object): Logger;
}

/** The pipeline's delivery settings that sources need to size their fetches. */
export interface DeliveryHints {
  maxBatchRecords: number;
  maxBatchBytes: number;
  maxWaitMs: number;
  maxInFlight: number;
}

/**
 * What every factory receives: the pipeline it belongs to, a logger, a stop signal, the endpoints
 * of the outside systems (read once by the CLI), the process's client pool, and the resources
 * declared in the pipeline file.
 */
export interface ComponentContext {
  pipeline: string;
  logger: Logger;
  signal: AbortSignal;
  /** Where Kafka, PostgreSQL, Redis, CouchDB, S3… live; a component's own `url` field overrides. */
  endpoints: Endpoints;
  /** The process's long-lived clients (pools, producers), shared by every pipeline in it. */
  resources: Resources;
  /**
   * The resource declared as `name` under `resources:`, which the loader checked is of `type`
   * (the component's config names it through a `resourceRef` field). Throws BadConfigError otherwise.
   */
  resource<T>(type: ResourceType<T>, name: string): T;
  delivery: DeliveryHints;
}

/**
 * Long-lived clients shared by the components of one process (one pool per database, one Kafka
 * client…), created on first use and closed once at shutdown.
 */
export interface Resources {
  get<T>(key: string, create: () => T | Promise<T>, close?: (value: T) => Promise<void> | void): Promise<T>;
}

// ---- sources -------------------------------------------------------------------------------------

export interface LaneControl {
  /** Keeps the source's session alive during long work (Kafka group heartbeats). */
  heartbeat(): Promise<void>;
  /** False once the lane was revoked or the source is stopping: finish, start nothing new. */
  isActive(): boolean;
}

export interface SourceHandler {
  /**
   * One batch of one lane, in order; the next batch of that lane comes only after this resolves.
   * `next` is the lane position just after the batch, to commit once the batch is durable; `end`,
   * when the source knows it, the lane's end position (for the lag metric).
   */
  onBatch(
    lane: string,
    records: SourceRecord[],
    next: string,
    control: LaneControl,
    end?: string,
  ): Promise<void>;
  onAssigned(lanes: string[]): Promise<void>;
  /** Resolves once in-flight work of those lanes is durable and committed. */
  onRevoked(lanes: string[]): Promise<void>;
  /**
   * The source will not deliver this lane until an operator acts (e.g. records were deleted before
   * they were processed): the runtime reports it, and the pipeline is not ready while it lasts.
   */
  onLaneRefused?(lane: string, refusal: LaneRefusal): void;
}

/** Why a source refuses to deliver a lane. */
export interface LaneRefusal {
  /** A short stable code, e.g. `offset-gap`. */
  reason: string;
  /** A sentence naming the lane, what was found and what the operator can do. */
  message: string;
  /** With `offset-gap`: how many records were deleted before they were processed. */
  gapRecords?: number;
}

export interface Source {
  /** Begins delivering batches; resolves once running. */
  start(handler: SourceHandler): Promise<void>;
  /** Records `next` as the position to resume the lane from; everything before it is durable. */
  commit(lane: string, next: string): Promise<void>;
  /** Stops delivering, waits for in-flight batches and their commits, releases its lanes. */
  stop(): Promise<void>;
  /**
   * Bounded sources only: resolves once every lane reached its end and its last batch was handled
   * (the runtime then commits and stops it). Sources that follow a log forever leave it out.
   */
  drained?(): Promise<void>;
  /** Decodes a record from its original bytes again (dead-letter replay); a failure is marked, not thrown. */
  decode?(raw: SourceRecord['raw'], position: Position, timestamp: number): Promise<SourceRecord>;
  /** Resolves when the source's store answers (a cheap round trip); ends a commit's retry wait early. */
  probe?(): Promise<void>;
}

/** Work a source has not delivered yet, for sources that keep their own positions (an outbox table). */
export interface SourceBacklog {
  pending: number;
  /** Age of the oldest undelivered item, in seconds; null when there is none. */
  oldestAgeSeconds: number | null;
}

export interface TopicDeclaration {
  topic: string;
  partitions: number;
  compact: boolean;
}

// ---- processors ----------------------------------------------------------------------------------

export interface ProcessorContext {
  pipeline: string;
  logger: Logger;
}

/** Pure with respect to I/O: records in, records out. Throwing fails that one record (dead letter). */
export interface Processor {
  /** Optional batch step before `process`, e.g. to look up everything the batch needs at once. */
  prepare?(records: readonly PipelineRecord[], ctx: ProcessorContext): Promise<void>;
  process(record: PipelineRecord, ctx: ProcessorContext): PipelineRecord[] | Promise<PipelineRecord[]>;
  close?(): Promise<void>;
}

// ---- sinks ---------------------------------------------------------------------------------------

export interface WriteFailure {
  /** Index in the batch passed to `write`. */
  index: number;
  error: Error;
}

export interface WriteResult {
  failed: WriteFailure[];
}

export interface Sink {
  /** Prepares the target (connects, creates tables); a failure here stops the pipeline from starting. */
  start?(): Promise<void>;
  /**
   * Applies a batch idempotently. Resolves once every write is durable or listed as failed; never
   * throws for one bad record. Throws RetryableError (or a transient error) when nothing can be
   * written now: the runtime retries the whole batch.
   */
  write(records: SinkRecord[]): Promise<WriteResult>;
  /**
   * Resolves when the target answers again (a cheap round trip, e.g. `SELECT 1`). While a write
   * waits to be retried the runtime calls it every 250 ms and retries at once when it resolves.
   */
  probe?(): Promise<void>;
  /**
   * Why this sink cannot usefully take writes now (e.g. it has nothing to write to), or undefined.
   * While it returns a reason the runtime consumes nothing, and the pipeline is not ready.
   */
  notReady?(): string | undefined;
  close?(): Promise<void>;
}

// ---- specs ---------------------------------------------------------------------------------------

export type ComponentKind = 'source' | 'processor' | 'sink' | 'resource';

export interface SpecBase<K extends ComponentKind, C extends z.ZodObject, T> {
  kind: K;
  /** The `type` that names it in a pipeline file. */
  name: string;
  /** One line, shown in `tributary docs`. */
  summary: string;
  /** Longer notes for the reference (optional). */
  description?: string;
  config: C;
  /** A YAML fragment showing typical use (the component only, as it appears under its key). */
  example: string;
  /** Keys this component once had and where they went, named when a file still uses one. */
  movedKeys?: Readonly<Record<string, string>>;
  create(config: z.output<C>, context: ComponentContext): T | Promise<T>;
  /** Topics this component reads or writes with this config (for `topics ensure`, `run` and `status`), pipeline name given. */
  topics?(config: z.output<C>, pipeline: string): TopicDeclaration[];
  /** The consumer group (or equivalent) this source uses with this config. */
  group?(config: z.output<C>, pipeline: string): string;
  /** What the source has not delivered yet (for `status`), when it can tell without a consumer group. */
  backlog?(config: z.output<C>, context: StatusContext): Promise<SourceBacklog>;
  /**
   * What an operator should see about this component (`tributary status`): tables it keeps,
   * builds in progress, configurations it refused. Rejects when its store cannot be reached.
   */
  status?(config: z.output<C>, context: StatusContext): Promise<ComponentStatus>;
}

export type SourceSpec<C extends z.ZodObject = z.ZodObject> = SpecBase<'source', C, Source>;
export type ProcessorSpec<C extends z.ZodObject = z.ZodObject> = SpecBase<'processor', C, Processor>;
export type SinkSpec<C extends z.ZodObject = z.ZodObject> = SpecBase<'sink', C, Sink>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any resource interface
export type ComponentSpec = SourceSpec | ProcessorSpec | SinkSpec | ResourceSpec<z.ZodObject, any>;

export function defineSource<C extends z.ZodObject>(spec: Omit<SourceSpec<C>, 'kind'>): SourceSpec<C> {
  return Object.freeze({ ...spec, kind: 'source' as const });
}

export function defineProcessor<C extends z.ZodObject>(
  spec: Omit<ProcessorSpec<C>, 'kind'>,
): ProcessorSpec<C> {
  return Object.freeze({ ...spec, kind: 'processor' as const });
}

export function defineSink<C extends z.ZodObject>(spec: Omit<SinkSpec<C>, 'kind'>): SinkSpec<C> {
  return Object.freeze({ ...spec, kind: 'sink' as const });
}
