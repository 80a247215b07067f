/** Dead letters in memory, and how the engine turns a failure into one. */
import type { DeadLetter, DeadLetterWriter, SourceRecord } from '../contract/index.js';

/** Keeps dead letters in memory: for tests and the memory-only examples. */
export class MemoryDeadLetters implements DeadLetterWriter {
  readonly letters: DeadLetter[] = [];
  write(letters: DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
    return Promise.resolve();
  }
}

export function toDeadLetter(
  pipeline: string,
  topic: string,
  stage: string,
  record: SourceRecord,
  error: unknown,
  attempts: number,
): DeadLetter {
  const e = error instanceof Error ? error : new Error(String(error));
  const reason = (e as { reason?: unknown }).reason;
  return {
    pipeline,
    topic,
    stage,
    errorClass: e.name,
    message: e.message,
    ...(typeof reason === 'string' ? { reason } : {}),
    attempts,
    record,
    failedAt: new Date(),
  };
}
