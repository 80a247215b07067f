import { describe, expect, it } from 'vitest';
import { benchDocs, copyText } from './runtime.js';

describe('copyText', () => {
  it('escapes what the COPY text format gives a meaning to', () => {
    expect(copyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });

  it('leaves JSON without backslashes as it is', () => {
    expect(copyText('{"a":"b c"}')).toBe('{"a":"b c"}');
  });
});

describe('benchDocs', () => {
  it('writes every key in versions 1..5, in order, interleaved across keys', () => {
    const docs = [...benchDocs(10)].map((d) => `${d.id}@${d.version}`);
    expect(docs.slice(0, 3)).toEqual(['doc-000000@1', 'doc-000001@1', 'doc-000000@2']);
    expect(docs.at(-1)).toBe('doc-000001@5');
  });
});
