import { describe, expect, it } from 'vitest';
import { ucrViewName } from './ucr-view-name.js';

describe('ucrViewName', () => {
  it('joins domain and table id', () => {
    expect(ucrViewName('demo', 'household_register')).toBe('demo_household_register');
  });

  it('keeps long names within 63 bytes, ending in 8 hex of the full name', () => {
    const name = ucrViewName('a-rather-long-domain-name-for-a-project', 'a_table_id_that_is_also_quite_long');
    expect(name).toHaveLength(63);
    expect(name).toMatch(/^a-rather-long-domain-name-for-a-project_a_table_id_tha_[0-9a-f]{8}$/);
  });

  it('refuses names that could carry SQL', () => {
    expect(() => ucrViewName('demo"; DROP', 't')).toThrow(/invalid domain/);
    expect(() => ucrViewName('demo', 't.x')).toThrow(/invalid table id/);
  });
});
