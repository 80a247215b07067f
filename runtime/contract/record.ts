/** The shapes that flow through a pipeline: what sources deliver, stages pass on and sinks write. */

/** Where a record sits in its source: a lane (a Kafka partition, a CouchDB database…) and an opaque offset in it. */
export interface Position {
  lane: string;
  offset: string;
}

/** How a record leaves the last stage: which sink, which target in it, what to do. */
export interface RecordRouting {
  /** Name of the sink this record goes to; all sinks when absent. */
  sink?: string;
  /** Sink-specific target (a table, an index); the sink's configured one when absent. */
  target?: string;
  /** `delete` removes the key; defaults to `upsert`, or `delete` for a null value (a tombstone). */
  op?: 'upsert' | 'delete';
  /** The document version guarding the write: a sink never lets an older version replace a newer one. */
  version?: number | bigint | string;
}

export interface PipelineRecord {
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
  /** Milliseconds since the epoch. */
  timestamp: number;
  routing?: RecordRouting;
}

/** A record as a source delivers it: decoded, with its original bytes kept for the dead-letter topic. */
export interface SourceRecord extends PipelineRecord {
  position: Position;
  raw: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> };
  /** Set when the source could not decode this record; the engine dead-letters it. */
  decodeError?: Error;
  /**
   * True when `raw.value` is the UTF-8 JSON text `value` was decoded from (a JSON-format source):
   * a sink that stores the value as JSON may write those bytes instead of serialising the value
   * again, as long as the record still carries that very value (`value === origin.value`).
   */
  rawValueIsJson?: boolean;
}

/** A record on its way into a sink, with where it came from (for dead letters and logs). */
export interface SinkRecord extends PipelineRecord {
  origin: SourceRecord;
}
