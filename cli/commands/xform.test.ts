import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tributary } from '../tributary.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../commcare/xform/fixtures/${name}`, import.meta.url));

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const { code, out, err } = await tributary(['xform', ...args]);
  const lines = (text: string) => (text === '' ? [] : text.split('\n'));
  return { code, out: lines(out), err: lines(err) };
}

describe('tributary xform parse', () => {
  it('prints the form, its metadata and its case actions as JSON', async () => {
    const { code, out, err } = await run(['parse', fixture('close.xml')]);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    const printed = JSON.parse(out.join('\n')) as Record<string, unknown>;
    expect(Object.keys(printed)).toEqual(['form', 'metadata', 'caseActions']);
    expect(printed.metadata).toMatchObject({ instanceID: 'form-close-1', userID: 'u-2' });
    expect(printed.caseActions).toEqual([
      {
        case_id: 'm-1',
        date_modified: '2026-04-01T08:00:00.000000Z',
        user_id: 'u-2',
        actions: [
          { type: 'update', fields: {}, properties: { close_reason: 'moved' } },
          {
            type: 'index',
            indices: [
              {
                identifier: 'parent',
                referenced_type: 'household',
                referenced_id: '',
                relationship: 'child',
              },
            ],
          },
          { type: 'close' },
        ],
      },
    ]);
  });

  it('exits 2 naming file, line and column for malformed XML', async () => {
    const file = fixture('malformed.xml');
    expect(await run(['parse', file])).toEqual({
      code: 2,
      out: [],
      err: [`${file}:3:18: unexpected close tag.`],
    });
  });

  it('exits 2 for a DOCTYPE', async () => {
    const file = fixture('doctype.xml');
    const { code, err } = await run(['parse', file]);
    expect(code).toBe(2);
    expect(err).toEqual([`${file}:2:59: a DOCTYPE is not allowed in a submission`]);
  });

  it('gives a form without meta/instanceID a new id, as CommCare does', async () => {
    const { code, out } = await run(['parse', fixture('no-instance-id.xml')]);
    expect(code).toBe(0);
    expect((JSON.parse(out.join('\n')) as { metadata: { generatedId: boolean } }).metadata.generatedId).toBe(
      true,
    );
  });

  it('exits 2 for a file it cannot read and for bad usage', async () => {
    expect((await run(['parse', '/nonexistent/form.xml'])).code).toBe(2);
    expect((await run(['parse'])).code).toBe(2);
    expect((await run(['frobnicate', 'x.xml'])).code).toBe(2);
    expect((await run(['--bogus'])).code).toBe(2);
  });
});
