/** A record that failed permanently, as the engine hands it to the dead-letter writer the CLI assembles. */
import type { SourceRecord } from './record.js';

export interface DeadLetter {
  pipeline: string;
  /** Where it failed: `decode`, `processor[0]:ucr`, `route`, `sink:reports`. */
  stage: string;
  errorClass: string;
  message: string;
  /** Reason code of a BadRecordError, if any. */
  reason?: string;
  attempts: number;
  record: SourceRecord;
  failedAt: Date;
  /** The dead-letter topic of the pipeline. */
  topic: string;
}

export interface DeadLetterWriter {
  /** Resolves once every letter is durable (topic and table). Throws a transient error to be retried. */
  write(letters: DeadLetter[]): Promise<void>;
}
