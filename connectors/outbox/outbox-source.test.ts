import { describe, expect, it } from 'vitest';
import { PendingDeliveries, backoffMs, toOutboxRecord } from './outbox-source.js';
import { outboxTableName } from './outbox-table.js';

const row = {
  id: 42n,
  topic: 'cases',
  doc_id: 'c1',
  doc_type: 'CommCareCase',
  version: 3n,
  payload: { doc_id: 'c1', version: 3 },
  created_at: new Date(1_700_000_000_000),
  headers: null,
};

describe('toOutboxRecord', () => {
  it('keys the record by document id and routes it to its topic with its version', () => {
    const record = toOutboxRecord(row);
    expect(record).toMatchObject({
      key: 'c1',
      value: { doc_id: 'c1', version: 3 },
      timestamp: 1_700_000_000_000,
      routing: { target: 'cases', version: 3n },
      position: { lane: 'outbox', offset: '42' },
    });
    expect(record.raw.value?.toString()).toBe('{"doc_id":"c1","version":3}');
  });

  it('carries the trace context stored with the change as record headers', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const record = toOutboxRecord({ ...row, headers: { traceparent } });
    expect(record.headers).toEqual({ traceparent });
    expect(record.raw.headers.traceparent?.toString()).toBe(traceparent);
  });
});

describe('PendingDeliveries', () => {
  it('names each batch by its own sequence, so a late row with a lower id is not covered early', () => {
    const pending = new PendingDeliveries();
    const first = pending.add([5n, 9n]);
    const second = pending.add([7n]);
    expect(pending.ids()).toEqual([5n, 9n, 7n]);
    expect(pending.upTo(first)).toEqual([5n, 9n]);
    expect(pending.upTo(second)).toEqual([5n, 9n, 7n]);
  });

  it('forgets only the settled batches', () => {
    const pending = new PendingDeliveries();
    const first = pending.add([1n]);
    pending.add([2n]);
    pending.settle(first);
    expect(pending.ids()).toEqual([2n]);
  });
});

describe('backoffMs', () => {
  it('doubles per failure up to the cap', () => {
    expect([1, 2, 3, 10].map((n) => backoffMs(n, 250, 1000))).toEqual([250, 500, 1000, 1000]);
  });
});

describe('outboxTableName', () => {
  it('quotes a schema-qualified name part by part', () => {
    expect(outboxTableName('reports.outbox')).toBe('"reports"."outbox"');
    expect(outboxTableName('tributary_outbox')).toBe('"tributary_outbox"');
  });
});
