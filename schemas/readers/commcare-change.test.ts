import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  applicationSchema,
  caseSchema,
  domainSchema,
  formSchema,
  groupSchema,
  locationSchema,
  userSchema,
} from '../generated/index.js';

describe('commcare-change.avsc', () => {
  it('is the union of the latest schemas of every CommCare document topic, so one source can read them all', async () => {
    const text = await readFile(new URL('./commcare-change.avsc', import.meta.url), 'utf8');
    expect(JSON.parse(text)).toEqual([
      formSchema,
      caseSchema,
      userSchema,
      groupSchema,
      domainSchema,
      applicationSchema,
      locationSchema,
    ]);
  });
});
