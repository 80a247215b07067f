/**
 * Every element of a case block, as CommCare's case XML parser and SQL update strategy apply it
 * (`casexml/apps/case/xml/parser.py`, `form_processor/backends/sql/update_strategy.py`): a form in
 * CommCare's shape in, the case CommCare would have out.
 */
import { describe, expect, it } from 'vitest';
import type { Case } from '../../schemas/generated/case.js';
import { applyCaseBlocks } from './case-apply.js';
import { extractCaseBlocks } from './case-blocks.js';
import { parseXForm } from './xform-parse.js';

const v2 = 'http://commcarehq.org/case/transaction/v2';
const now = Date.UTC(2026, 0, 10);

/** The cases after applying `body` (case blocks) submitted by form user `formUser` onto `current`. */
function apply(body: string, current: Case[] = [], formUser: string | null = 'form-user'): Map<string, Case> {
  const parsed = parseXForm(
    `<data xmlns="urn:t">${body}<meta><instanceID>f-${Math.random()}</instanceID></meta></data>`,
  );
  const result = applyCaseBlocks(new Map(current.map((c) => [c.doc_id, c])), extractCaseBlocks(parsed.root), {
    domain: 'd',
    formId: 'f',
    serverNowMs: now,
    formUserId: formUser,
    formTimeEndMs: null,
  });
  if (!result.ok) throw result.error;
  return result.cases;
}
const block = (inner: string, attrs = 'user_id="block-user" date_modified="2026-01-05T10:00:00Z"') =>
  `<case xmlns="${v2}" case_id="c1" ${attrs}>${inner}</case>`;
const created = (inner = '') =>
  apply(
    block(`<create><case_type>t</case_type><case_name>n</case_name><owner_id>o</owner_id></create>${inner}`),
  ).get('c1')!;

describe('create', () => {
  it.each([
    ['case_type', '<case_type>patient</case_type>', { case_type: 'patient' }],
    ['case_name', '<case_name>Asha</case_name>', { name: 'Asha' }],
    ['owner_id', '<owner_id>grp-1</owner_id>', { owner_id: 'grp-1' }],
    ['external_id', '<external_id>ext-1</external_id>', { external_id: 'ext-1' }],
    ['date_opened', '<date_opened>2025-12-31</date_opened>', { opened_on: Date.UTC(2025, 11, 31) }],
    [
      'date_opened with an offset',
      '<date_opened>2025-12-31T01:00:00+02</date_opened>',
      { opened_on: Date.UTC(2025, 11, 30, 23) },
    ],
  ])('keeps %s', (_name, child, expected) => {
    expect(apply(block(`<create>${child}</create>`)).get('c1')).toMatchObject(expected);
  });

  it("stores a create's user_id as modified_by, which the block's own user_id then overrides", () => {
    const withoutBlockUser = apply(
      block('<create><user_id>creator</user_id></create>', 'date_modified="2026-01-05"'),
      [],
      null,
    );
    expect(withoutBlockUser.get('c1')).toMatchObject({ modified_by: 'creator' });
    expect(apply(block('<create><user_id>creator</user_id></create>')).get('c1')).toMatchObject({
      modified_by: 'block-user',
      opened_by: 'block-user',
    });
  });

  it('ignores other children of create and empty values, and defaults the owner to the user', () => {
    const c = apply(
      block('<create><case_type>t</case_type><color>red</color><external_id></external_id></create>'),
    ).get('c1')!;
    expect(c.properties).toEqual({});
    expect(c.external_id).toBeNull();
    expect(c.owner_id).toBe('block-user');
    expect(c.opened_on).toBe(Date.UTC(2026, 0, 5, 10));
  });
});

describe('update', () => {
  it.each([
    ['case_type', '<case_type>patient</case_type>', { case_type: 'patient' }],
    ['case_name', '<case_name>Ada</case_name>', { name: 'Ada' }],
    ['name (legacy)', '<name>Ada</name>', { name: 'Ada' }],
    ['owner_id', '<owner_id>o2</owner_id>', { owner_id: 'o2' }],
    ['external_id', '<external_id>e2</external_id>', { external_id: 'e2' }],
    ['date_opened', '<date_opened>2025-01-02</date_opened>', { opened_on: Date.UTC(2025, 0, 2) }],
    ['location_id', '<location_id>loc-1</location_id>', { location_id: 'loc-1' }],
    [
      'hq_user_id (external_id and a property)',
      '<hq_user_id>hq-1</hq_user_id>',
      { external_id: 'hq-1', properties: { hq_user_id: 'hq-1' } },
    ],
    ['a dynamic property', '<edd>2026-05-01</edd>', { properties: { edd: '2026-05-01' } }],
    ['an empty dynamic property', '<note/>', { properties: { note: '' } }],
    [
      'a datetime property (adjusted to UTC)',
      '<seen>2026-01-05T10:00:00+01:00</seen>',
      { properties: { seen: '2026-01-05T09:00:00.000000Z' } },
    ],
    [
      'a repeated property (the last one)',
      '<visit>1</visit><visit>2</visit>',
      { properties: { visit: '2' } },
    ],
  ])('%s', (_name, children, expected) => {
    expect(created(`<update>${children}</update>`)).toMatchObject(expected);
  });

  it('keeps the restricted names out of the properties', () => {
    const c = created(
      '<update><case_id>x</case_id><date_modified>2020-01-01</date_modified><supply_point_location_id>s</supply_point_location_id><kept>1</kept></update>',
    );
    expect(c.properties).toEqual({ kept: '1' });
  });

  it('clears the location with an empty location_id', () => {
    const c = apply(block('<update><location_id/></update>'), [
      created('<update><location_id>l</location_id></update>'),
    ]).get('c1')!;
    expect(c.location_id).toBeNull();
  });
});

describe('index, close and attachment', () => {
  it('adds child and extension indices, changes and removes them', () => {
    const first = created(
      '<index><parent case_type="household">h1</parent><host case_type="h" relationship="extension">h2</host></index>',
    );
    expect(first.indices).toEqual([
      { identifier: 'parent', referenced_type: 'household', referenced_id: 'h1', relationship: 'child' },
      { identifier: 'host', referenced_type: 'h', referenced_id: 'h2', relationship: 'extension' },
    ]);
    const next = apply(
      block('<index><parent case_type="household"/><host case_type="h2" relationship="">h3</host></index>'),
      [first],
    ).get('c1')!;
    expect(next.indices).toEqual([
      { identifier: 'host', referenced_type: 'h2', referenced_id: 'h3', relationship: 'child' },
    ]);
  });

  it('closes with the block time and user', () => {
    expect(created('<close/>')).toMatchObject({
      closed: true,
      closed_on: Date.UTC(2026, 0, 5, 10),
      closed_by: 'block-user',
    });
  });

  it('an empty block touches the case (modified by, modified on, the form in xform_ids)', () => {
    const c = apply(block(''), [created()]).get('c1')!;
    expect(c.modified_by).toBe('block-user');
    expect(c.xform_ids).toContain('f');
  });

  it('reads attachments: src, from, name, and an attribute-less entry as a removal', () => {
    const parsed = parseXForm(
      `<data xmlns="urn:t"><case xmlns="${v2}" case_id="c1"><attachment><photo src="p.jpg" from="local" name="p.jpg"/><old/></attachment></case></data>`,
    );
    expect(extractCaseBlocks(parsed.root)[0]!.actions).toEqual([
      {
        type: 'attachment',
        attachments: [
          { identifier: 'photo', src: 'p.jpg', from: 'local', name: 'p.jpg' },
          { identifier: 'old', src: null, from: null, name: null },
        ],
      },
    ]);
  });
});
