import { describe, expect, it } from 'vitest';
import { nearest } from './suggest.js';

describe('nearest', () => {
  it('suggests kafka for kafak', () => {
    expect(nearest('kafak', ['kafka', 'memory', 'couchdb'])).toBe('kafka');
  });

  it('suggests nothing when every name is far', () => {
    expect(nearest('elasticsearch', ['kafka', 'memory'])).toBeUndefined();
  });
});
