/** Writes dead letters to their pipeline's dead-letter topic: original key, value and headers, plus why. */
import type { DeadLetter } from '../../runtime/contract/index.js';
import type { ProducedMessage, Producer } from './kafka-client.js';

/** Header names on every dead letter, for tools and people reading the topic. */
export const deadLetterHeaders = {
  pipeline: 'tributary.pipeline',
  stage: 'tributary.stage',
  errorClass: 'tributary.error.class',
  reason: 'tributary.error.reason',
  message: 'tributary.error.message',
  attempts: 'tributary.attempts',
  lane: 'tributary.source.lane',
  offset: 'tributary.source.offset',
  failedAt: 'tributary.failed.at',
} as const;

export function toDeadLetterMessage(letter: DeadLetter): ProducedMessage {
  const { raw, position } = letter.record;
  return {
    key: raw.key,
    value: raw.value,
    headers: {
      ...raw.headers,
      [deadLetterHeaders.pipeline]: letter.pipeline,
      [deadLetterHeaders.stage]: letter.stage,
      [deadLetterHeaders.errorClass]: letter.errorClass,
      [deadLetterHeaders.reason]: letter.reason ?? '',
      [deadLetterHeaders.message]: letter.message.slice(0, 4000),
      [deadLetterHeaders.attempts]: String(letter.attempts),
      [deadLetterHeaders.lane]: position.lane,
      [deadLetterHeaders.offset]: position.offset,
      [deadLetterHeaders.failedAt]: letter.failedAt.toISOString(),
    },
  };
}

export async function produceDeadLetters(producer: Producer, letters: DeadLetter[]): Promise<void> {
  const byTopic = new Map<string, ProducedMessage[]>();
  for (const letter of letters) {
    const list = byTopic.get(letter.topic) ?? [];
    list.push(toDeadLetterMessage(letter));
    byTopic.set(letter.topic, list);
  }
  for (const [topic, messages] of byTopic) await producer.send(topic, messages);
}
