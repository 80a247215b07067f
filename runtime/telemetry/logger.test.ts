import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat } from './logger.js';

/** A stream that keeps what is written, optionally claiming to be a terminal. */
function sink(isTTY = false): Writable & { text(): string; isTTY?: boolean } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { text(): string; isTTY?: boolean };
  stream.text = () => chunks.join('');
  if (isTTY) stream.isTTY = true;
  return stream;
}

describe('the logger', () => {
  it('writes JSON lines when LOG_FORMAT is unset and the stream is not a terminal', () => {
    expect(logFormat({}, false)).toBe('json');
    const out = sink();
    createLogger({ destination: out, format: 'json' }).info({ topic: 'forms' }, 'Joining the group.');
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, topic: 'forms', msg: 'Joining the group.' });
  });

  it('writes readable lines for a terminal, and LOG_FORMAT overrides either way', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'Pretty' }, false)).toBe('pretty');
    const out = sink();
    createLogger({ destination: out, format: 'pretty' }).warn({ partition: 3 }, 'Waiting for partitions.');
    const line = out.text();
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: Waiting for partitions\. \{"partition":3\}\n$/);
    expect(() => JSON.parse(line) as unknown).toThrow();
  });

  it('refuses a LOG_FORMAT it does not know, naming the variable', () => {
    expect(() => logFormat({ LOG_FORMAT: 'xml' }, false)).toThrow(
      /LOG_FORMAT="xml": expected json or pretty/,
    );
  });
});
