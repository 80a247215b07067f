/** What the @platformatic/kafka adapters share: connection options, and conversions of messages and partitions. */
import type { Message } from '@platformatic/kafka';
import type { FetchedMessage, TopicPartition } from './kafka-client.js';

/** Counted per message on top of key, value and headers, so tiny messages still weigh something. */
const messageOverheadBytes = 64;

/** Where a client connects, as every adapter passes it to the library. */
export interface GroupOptionsBase {
  clientId: string;
  bootstrapBrokers: string[];
}

export type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Whether a library error (or one of the errors it wraps) carries this protocol error code. */
export function hasProtocolError(error: unknown, apiId: string): boolean {
  const findBy = (error as { findBy?: unknown } | null)?.findBy;
  return (
    typeof findBy === 'function' &&
    Boolean((findBy as (p: string, v: unknown) => unknown).call(error, 'apiId', apiId))
  );
}

export function byTopic(partitions: TopicPartition[]): { topic: string; partitions: number[] }[] {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = topics.get(topic) ?? [];
    list.push(partition);
    topics.set(topic, list);
  }
  return [...topics].map(([topic, list]) => ({ topic, partitions: list }));
}

export function messageBytes(message: RawMessage): number {
  // Keys and values are undefined at run time when they are null on the wire.
  const key: Buffer | undefined = message.key;
  const value: Buffer | undefined = message.value;
  let bytes = messageOverheadBytes + (key?.length ?? 0) + (value?.length ?? 0);
  for (const [name, value] of message.headerEntries) bytes += name.length + value.length;
  return bytes;
}

export function toFetchedMessage(message: RawMessage): FetchedMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of message.headerEntries) headers[name.toString()] = value;
  const key: Buffer | undefined = message.key;
  const value: Buffer | undefined = message.value;
  return {
    key: key ?? null,
    value: value ?? null,
    headers,
    offset: message.offset.toString(),
    timestamp: Number(message.timestamp),
  };
}
