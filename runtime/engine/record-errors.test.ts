import { describe, expect, it } from 'vitest';
import { BadConfigError, BadRecordError, RetryableError, isRetryable } from '../contract/index.js';
import { belongsToRecords, classifyBatchFailure } from './record-errors.js';

const withCode = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

describe('belongsToRecords', () => {
  it('holds a record at fault only when the target says so', () => {
    expect(belongsToRecords(new BadRecordError('too-large', 'record too large'))).toBe(true);
    expect(belongsToRecords(withCode('23505'))).toBe(true); // unique violation
    expect(belongsToRecords(withCode('22P02'))).toBe(true); // invalid text for the column type
    expect(belongsToRecords(withCode('42P01'))).toBe(false); // the table is missing: not a record's fault
    expect(belongsToRecords(new Error('Producing messages failed.'))).toBe(false);
    expect(belongsToRecords(withCode('ECONNREFUSED'))).toBe(false);
  });
});

describe('classifyBatchFailure', () => {
  it('keeps transient and record failures as they are', () => {
    const transient = withCode('ECONNREFUSED');
    const bad = new BadRecordError('too-large', 'record too large');
    expect(classifyBatchFailure(transient)).toBe(transient);
    expect(classifyBatchFailure(bad)).toBe(bad);
  });

  it('makes a failure of the whole batch that nobody classified retryable, keeping its cause', () => {
    const failure = new Error('Producing messages failed.');
    const classified = classifyBatchFailure(failure);
    expect(classified).toBeInstanceOf(RetryableError);
    expect(isRetryable(classified)).toBe(true);
    expect((classified as Error).cause).toBe(failure);
  });

  it('leaves a bad configuration permanent', () => {
    const bad = new BadConfigError('table', 'no such table');
    expect(classifyBatchFailure(bad)).toBe(bad);
  });
});
