import { describe, expect, it } from 'vitest';
import { BadConfigError, BadRecordError, RetryableError, isRetryable } from './errors.js';

const coded = (code: string, extra: object = {}) => Object.assign(new Error(code), { code }, extra);

describe('isRetryable', () => {
  it('retries what says so, transient codes and statuses, and what a transient cause explains', () => {
    expect(isRetryable(new RetryableError('busy'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { retriable: true }))).toBe(true);
    expect(isRetryable(coded('ECONNREFUSED'))).toBe(true);
    expect(isRetryable(coded('40P01'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { status: 503 }))).toBe(true);
    expect(isRetryable(new Error('wrapped', { cause: coded('ECONNRESET') }))).toBe(true);
  });

  it('never retries a bad record, a bad configuration or an unclassified error', () => {
    expect(isRetryable(new BadRecordError('x', 'bad'))).toBe(false);
    expect(isRetryable(new BadConfigError('a.b', 'bad'))).toBe(false);
    expect(isRetryable(new Error('no idea'))).toBe(false);
    expect(isRetryable('string')).toBe(false);
  });
});
