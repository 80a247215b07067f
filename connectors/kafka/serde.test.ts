import { describe, expect, it } from 'vitest';
import { BadRecordError } from '../../runtime/contract/index.js';
import { jsonSerde } from './serde.js';

describe('jsonSerde', () => {
  it('round-trips a value through UTF-8 JSON', async () => {
    const value = { doc_id: 'c1', name: 'Zuhura Ñandú', tags: ['a', 1, null] };
    const bytes = await jsonSerde.encode(value);
    expect(bytes.toString('utf8')).toBe(JSON.stringify(value));
    expect(await jsonSerde.decode(bytes)).toEqual(value);
  });

  it('rejects bytes that are not JSON as a bad record with reason json-parse', async () => {
    const error = await jsonSerde.decode(Buffer.from([0, 0, 0, 0, 7, 2])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRecordError);
    expect((error as BadRecordError).reason).toBe('json-parse');
  });

  it('rejects a value JSON cannot hold as a bad record with reason json-encode', async () => {
    for (const value of [undefined, 10n, () => 1]) {
      const error = await jsonSerde.encode(value).catch((e: unknown) => e);
      expect((error as BadRecordError).reason).toBe('json-encode');
    }
  });
});
