/**
 * The partition the Java client's default partitioner (and kafkajs's DefaultPartitioner) picks for
 * a key: `toPositive(murmur2(key)) % partitionCount`. Every Tributary producer uses it, so one
 * document id lands on one partition whichever client library wrote it.
 */

const seed = 0x9747b28c;
const m = 0x5bd1e995;

/** Kafka's murmur2 of the key bytes, as the signed 32-bit integer the Java client computes. */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = seed ^ length;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length - i;
  if (rest > 0) {
    if (rest === 3) h ^= key[i + 2]! << 16;
    if (rest >= 2) h ^= key[i + 1]! << 8;
    h ^= key[i]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of `key` among `partitionCount` partitions, as the Java client computes it. */
export function murmur2Partition(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
