import { describe, expect, it } from 'vitest';
import { BadRecordError, RetryableError, isRetryable } from '../../runtime/contract/index.js';
import { classifyProduceError } from './produce-errors.js';

// Errors shaped as the two libraries raise them: @platformatic/kafka wraps protocol errors (apiId)
// in an AggregateError; kafkajs wraps them (type) in a "number of retries exceeded" error's cause.
const aggregate = (message: string, ...errors: object[]): Error => new AggregateError(errors, message);
const platformaticProtocol = (apiId: string) => Object.assign(new Error(`broker said ${apiId}`), { apiId });
const kafkajsRetriesExceeded = (type: string) =>
  Object.assign(new Error('retries exceeded'), {
    retriable: false,
    cause: Object.assign(new Error(`broker said ${type}`), { type, retriable: false }),
  });

describe('classifyProduceError', () => {
  it('makes a record the broker refuses a bad record, with a reason for the dead letter', () => {
    const platformatic = classifyProduceError(
      aggregate('Producing messages failed.', platformaticProtocol('MESSAGE_TOO_LARGE')),
      'forms',
    );
    expect(platformatic).toBeInstanceOf(BadRecordError);
    expect((platformatic as BadRecordError).reason).toBe('record-too-large');
    const kafkajs = classifyProduceError(kafkajsRetriesExceeded('INVALID_RECORD'), 'forms');
    expect((kafkajs as BadRecordError).reason).toBe('invalid-record');
  });

  it('makes every transport failure retryable, never a record fault', () => {
    for (const error of [
      aggregate(
        'Producing messages failed.',
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      ),
      aggregate('Producing messages failed.', platformaticProtocol('NOT_LEADER_OR_FOLLOWER')),
      kafkajsRetriesExceeded('REQUEST_TIMED_OUT'),
      new Error('Producing messages failed.'),
    ]) {
      const classified = classifyProduceError(error, 'forms');
      expect(classified).toBeInstanceOf(RetryableError);
      expect(isRetryable(classified)).toBe(true);
      expect(classified.cause).toBe(error);
    }
  });
});
