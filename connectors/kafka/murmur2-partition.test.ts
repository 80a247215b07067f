import { randomBytes } from 'node:crypto';
import { compatibilityPartitioner } from '@platformatic/kafka';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, murmur2Partition } from './murmur2-partition.js';

// Vectors from the Java client's UtilsTest.testMurmur2.
const javaVectors: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

const keys = [
  ...javaVectors.map(([key]) => Buffer.from(key)),
  Buffer.alloc(0),
  ...Array.from({ length: 500 }, (_, i) => randomBytes(i % 41)),
];

describe('murmur2Partition', () => {
  it('hashes like the Java client', () => {
    for (const [key, hash] of javaVectors) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('picks the partition kafkajs DefaultPartitioner picks', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const count of [1, 3, 12, 64]) {
      const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (const key of keys) {
        expect(murmur2Partition(key, count)).toBe(
          partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }),
        );
      }
    }
  });

  it("picks the partition @platformatic/kafka's compatibilityPartitioner picks", () => {
    for (const count of [1, 3, 12, 64]) {
      for (const key of keys) {
        const raw = compatibilityPartitioner({ topic: 't', key, value: Buffer.alloc(0) }, key);
        expect(murmur2Partition(key, count)).toBe(raw % count);
      }
    }
  });
});
