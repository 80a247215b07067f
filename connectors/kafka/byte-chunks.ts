/**
 * Splits messages, in order, into consecutive runs of at most `maxBytes` (keys, values and
 * headers), so that no produce request carries a record batch larger than a topic accepts
 * (max.message.bytes, 1 MiB by default): a batch of many large events is sent as several requests
 * rather than refused whole. A message larger than `maxBytes` goes alone.
 */
import type { ProducedMessage } from './kafka-client.js';

const sizeOf = (value: Buffer | string | null | undefined) =>
  value === null || value === undefined
    ? 0
    : typeof value === 'string'
      ? Buffer.byteLength(value)
      : value.length;

function messageBytes(message: ProducedMessage): number {
  let bytes = sizeOf(message.key) + sizeOf(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {}))
    bytes += Buffer.byteLength(name) + sizeOf(value);
  return bytes;
}

export function byteChunks(messages: readonly ProducedMessage[], maxBytes: number): ProducedMessage[][] {
  const chunks: ProducedMessage[][] = [];
  let current: ProducedMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
