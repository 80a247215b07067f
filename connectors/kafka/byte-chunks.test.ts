import { describe, expect, it } from 'vitest';
import { byteChunks } from './byte-chunks.js';

const message = (key: string, bytes: number) => ({ key, value: Buffer.alloc(bytes), headers: {} });

describe('byteChunks', () => {
  it('keeps the order and puts as many messages in a chunk as fit in the bytes', () => {
    const messages = [message('a', 400), message('b', 400), message('c', 400), message('d', 100)];
    expect(byteChunks(messages, 1000).map((chunk) => chunk.map((m) => m.key))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('sends a message larger than the limit alone, and nothing for no messages', () => {
    const messages = [message('a', 10), message('big', 5000), message('c', 10)];
    expect(byteChunks(messages, 1000).map((chunk) => chunk.map((m) => m.key))).toEqual([
      ['a'],
      ['big'],
      ['c'],
    ]);
    expect(byteChunks([], 1000)).toEqual([]);
  });

  it('counts keys and headers too', () => {
    const withHeaders = { key: 'k'.repeat(300), value: Buffer.alloc(300), headers: { h: 'v'.repeat(300) } };
    expect(byteChunks([withHeaders, withHeaders], 1000)).toHaveLength(2);
  });
});
