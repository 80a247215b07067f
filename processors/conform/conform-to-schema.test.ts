import { describe, expect, it } from 'vitest';
import { configDocumentSchema, userSchema } from '../../schemas/generated/index.js';
import { conformToSchema } from './conform-to-schema.js';

const envelope = {
  doc_id: 'u1',
  domain: 'demo',
  doc_type: 'CommCareUser',
  version: 3,
  deleted: false,
  changed_on: 1_700_000_000_000,
};

describe('conformToSchema', () => {
  it('fills every field of the schema from the document, with neutral values for what it lacks', () => {
    const user = conformToSchema(
      {
        ...envelope,
        _id: 'u1',
        username: 'chw1@demo.commcarehq.org',
        first_name: 'Amina',
        is_active: true,
        location_id: 'loc-1',
        phone_numbers: ['+254700000001'],
      },
      userSchema,
      { nowMs: 5 },
    );
    expect(user).toMatchObject({
      doc_id: 'u1',
      username: 'chw1@demo.commcarehq.org',
      first_name: 'Amina',
      last_name: null,
      email: null,
      phone_numbers: ['+254700000001'],
      is_active: true,
      last_login: null,
      location_id: 'loc-1',
      assigned_location_ids: [],
      user_data: {},
    });
    expect(Object.keys(user).sort()).toEqual(userSchema.fields.map((f) => f.name).sort());
  });

  it('reads ISO timestamps as epoch milliseconds and uses the change time for missing required ones', () => {
    const user = conformToSchema({ ...envelope, created_on: '2026-01-02T03:04:05Z' }, userSchema, {
      nowMs: 42,
      aliases: { date_joined: ['created_on'] },
    });
    expect(user.date_joined).toBe(Date.parse('2026-01-02T03:04:05Z'));
    expect(conformToSchema(envelope, userSchema, { nowMs: 42 }).date_joined).toBe(42);
  });

  it('turns map values into text and drops null entries', () => {
    const user = conformToSchema(
      { ...envelope, user_data: { age: 31, district: 'Siaya', unset: null } },
      userSchema,
      { nowMs: 0 },
    );
    expect(user.user_data).toEqual({ age: '31', district: 'Siaya' });
  });

  it("gives a configuration document's definition the whole document and reads aliased fields", () => {
    const doc = {
      ...envelope,
      doc_id: 'ds1',
      doc_type: 'DataSourceConfiguration',
      _rev: '3-abc',
      display_name: 'Households',
      table_id: 'household_register',
      referenced_doc_type: 'CommCareCase',
      configured_indicators: [{ type: 'count', column_id: 'count' }],
    };
    const config = conformToSchema(doc, configDocumentSchema, {
      nowMs: 0,
      aliases: { revision: ['_rev'], name: ['display_name'] },
    });
    expect(config).toMatchObject({
      name: 'Households',
      revision: '3-abc',
      table_id: 'household_register',
      is_deactivated: false,
    });
    expect(config.definition).toEqual(doc);
  });
});
