import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { caseSchema, formSchema } from '../generated/index.js';

describe('form-or-case.avsc', () => {
  it('is the union of the latest Form and Case schemas, so one Kafka source can read forms and cases', async () => {
    const text = await readFile(new URL('./form-or-case.avsc', import.meta.url), 'utf8');
    expect(JSON.parse(text)).toEqual([formSchema, caseSchema]);
  });
});
