import { describe, expect, it } from 'vitest';
import { NoopSink, noopSink } from './noop-sink.js';

describe('noop sink', () => {
  it('resolves every write as durable, with no failure', async () => {
    await expect(new NoopSink().write()).resolves.toEqual({ failed: [] });
  });

  it('takes no options', () => {
    expect(noopSink.config.parse({})).toEqual({});
  });
});
