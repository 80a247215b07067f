import { describe, expect, it } from 'vitest';
import {
  changedOnOf,
  domainOf,
  previousRevision,
  revisionNumber,
  toChangeEvent,
  topicFor,
  type CouchChange,
} from './couchdb-change-event.js';

const readAt = 1_700_000_000_000;
const userChange: CouchChange = {
  id: 'u1',
  seq: 7,
  changes: [{ rev: '3-abc' }],
  doc: { _id: 'u1', _rev: '3-abc', doc_type: 'CommCareUser', domain: 'demo', username: 'ada' },
};

describe('revisionNumber', () => {
  it('reads the generation before the dash', () => {
    expect(revisionNumber('3-abc')).toBe(3);
    expect(revisionNumber('12-f00')).toBe(12);
  });

  it('refuses what is not a revision', () => {
    expect(() => revisionNumber('abc')).toThrow(/not a CouchDB revision/);
  });
});

describe('toChangeEvent', () => {
  it('adds the envelope to the document', () => {
    expect(toChangeEvent(userChange, readAt)).toEqual({
      _id: 'u1',
      _rev: '3-abc',
      doc_type: 'CommCareUser',
      domain: 'demo',
      username: 'ada',
      doc_id: 'u1',
      version: 3,
      deleted: false,
      changed_on: readAt,
    });
  });

  it('skips design documents', () => {
    expect(toChangeEvent({ ...userChange, id: '_design/views' }, readAt)).toBeNull();
  });

  it('turns a tombstone into a deleted event carrying the last known state', () => {
    const event = toChangeEvent(
      {
        id: 'u1',
        seq: 8,
        deleted: true,
        changes: [{ rev: '4-def' }],
        doc: { _id: 'u1', _rev: '4-def', _deleted: true },
      },
      readAt,
      { _id: 'u1', _rev: '3-abc', doc_type: 'WebUser', domain: 'demo', username: 'ada' },
    );
    expect(event).toEqual({
      _id: 'u1',
      _rev: '4-def',
      doc_type: 'WebUser',
      domain: 'demo',
      username: 'ada',
      doc_id: 'u1',
      version: 4,
      deleted: true,
      changed_on: readAt,
    });
  });

  it('keeps what is known of a tombstone whose last state is gone', () => {
    expect(
      toChangeEvent({ id: 'g1', seq: 9, deleted: true, changes: [{ rev: '2-x' }] }, readAt, null),
    ).toMatchObject({ doc_id: 'g1', doc_type: '', domain: '', version: 2, deleted: true });
  });

  it("treats CommCare's -Deleted doc types as deletions of the base type", () => {
    const event = toChangeEvent(
      { ...userChange, doc: { ...userChange.doc!, doc_type: 'CommCareUser-Deleted' } },
      readAt,
    );
    expect(event).toMatchObject({ doc_type: 'CommCareUser', deleted: true });
  });
});

describe('domainOf', () => {
  it("takes a web user's first membership and a Domain's name", () => {
    expect(domainOf({ domain_memberships: [{ domain: 'a' }, { domain: 'b' }] }, 'WebUser')).toBe('a');
    expect(domainOf({ name: 'proj' }, 'Domain')).toBe('proj');
    expect(domainOf({}, 'Group')).toBe('');
  });
});

describe('changedOnOf', () => {
  it("prefers the document's own modification time", () => {
    expect(changedOnOf({ last_modified: '2024-01-02T03:04:05Z' }, readAt)).toBe(
      Date.parse('2024-01-02T03:04:05Z'),
    );
    expect(changedOnOf({ last_modified: 'never' }, readAt)).toBe(readAt);
  });
});

describe('topicFor', () => {
  it('routes mapped types, falls back to the default topic, else nothing', () => {
    expect(topicFor('Group', { Group: 'groups' }, undefined)).toBe('groups');
    expect(topicFor('Other', { Group: 'groups' }, 'misc')).toBe('misc');
    expect(topicFor('Other', { Group: 'groups' }, undefined)).toBeUndefined();
    expect(topicFor('constructor', {}, undefined)).toBeUndefined();
  });
});

describe('previousRevision', () => {
  it('names the parent revision from a _revisions history', () => {
    expect(previousRevision({ start: 3, ids: ['c', 'b', 'a'] })).toBe('2-b');
    expect(previousRevision({ start: 1, ids: ['a'] })).toBeUndefined();
    expect(previousRevision(undefined)).toBeUndefined();
  });
});
