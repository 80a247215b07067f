import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Case } from '../../schemas/generated/case.js';
import {
  applyCaseBlocks,
  CaseDateError,
  CaseDomainMismatchError,
  CaseNotFoundError,
  parseXFormDateMs,
  type CaseApplyContext,
} from './case-apply.js';
import { extractCaseBlocks, type CaseBlock } from './case-blocks.js';
import { parseXForm } from './xform-parse.js';

const blocksOf = (name: string): CaseBlock[] =>
  extractCaseBlocks(parseXForm(readFileSync(new URL(`./fixtures/${name}`, import.meta.url))).root);

const registeredAt = Date.UTC(2026, 2, 1, 8, 15); // 09:15 at +01:00
const savedAt = Date.UTC(2026, 2, 1, 8, 16);
const context = (
  formId: string,
  serverNowMs: number,
  formUserId: string | null = 'u-1',
): CaseApplyContext => ({
  domain: 'demo',
  formId,
  serverNowMs,
  formUserId,
  formTimeEndMs: null,
});

const household: Case = {
  doc_id: 'hh-1',
  domain: 'demo',
  doc_type: 'CommCareCase',
  version: 1,
  deleted: false,
  changed_on: savedAt,
  case_type: 'household',
  name: 'Okafor',
  owner_id: 'grp-9',
  opened_on: registeredAt,
  opened_by: 'u-1',
  modified_on: registeredAt,
  modified_by: 'u-1',
  server_modified_on: savedAt,
  closed: false,
  closed_on: null,
  closed_by: null,
  external_id: null,
  location_id: 'loc-3',
  properties: { village: 'Ikeja' },
  indices: [],
  xform_ids: ['form-reg-1'],
  change_source: 'form',
};

const member: Case = {
  ...household,
  doc_id: 'm-1',
  case_type: 'member',
  name: 'Ada Okafor',
  opened_on: Date.UTC(2026, 1, 28),
  location_id: null,
  properties: { age: '34' },
  indices: [
    { identifier: 'parent', referenced_type: 'household', referenced_id: 'hh-1', relationship: 'child' },
  ],
};

function applied(current: Map<string, Case>, blocks: CaseBlock[], ctx: CaseApplyContext): Map<string, Case> {
  const result = applyCaseBlocks(current, blocks, ctx);
  if (!result.ok) throw result.error;
  return result.cases;
}

describe('applyCaseBlocks', () => {
  it('creates the cases of a registration at version 1 with their properties and parent index', () => {
    const cases = applied(new Map(), blocksOf('registration.xml'), context('form-reg-1', savedAt));
    expect([...cases.keys()]).toEqual(['hh-1', 'm-1']);
    expect(cases.get('hh-1')).toEqual(household);
    expect(cases.get('m-1')).toEqual(member);
  });

  it('updates, creates children in a repeat group, and bumps each touched case once', () => {
    const visitedAt = Date.UTC(2026, 2, 8, 10);
    const followedAt = Date.UTC(2026, 2, 8, 10, 5);
    const current = new Map([
      ['hh-1', household],
      ['m-1', member],
    ]);
    const cases = applied(current, blocksOf('followup.xml'), context('form-fu-1', followedAt));
    expect([...cases.keys()]).toEqual(['m-1', 'med-1', 'med-2']);
    expect(cases.get('m-1')).toEqual({
      ...member,
      version: 2,
      name: 'Ada O. Okafor',
      modified_on: visitedAt,
      changed_on: followedAt,
      server_modified_on: followedAt,
      properties: { age: '34', last_visit: '2026-03-08' },
      xform_ids: ['form-reg-1', 'form-fu-1'],
    });
    expect(cases.get('med-2')).toEqual({
      ...household,
      doc_id: 'med-2',
      case_type: 'medication',
      name: 'paracetamol',
      opened_on: visitedAt,
      modified_on: visitedAt,
      changed_on: followedAt,
      server_modified_on: followedAt,
      location_id: null,
      properties: { dose_mg: '1000' },
      indices: [
        { identifier: 'host', referenced_type: 'member', referenced_id: 'm-1', relationship: 'extension' },
      ],
      xform_ids: ['form-fu-1'],
    });
  });

  it('closes a case, removes its index and records who closed it', () => {
    const closedAt = Date.UTC(2026, 3, 1, 8);
    const cases = applied(
      new Map([['m-1', member]]),
      blocksOf('close.xml'),
      context('form-close-1', closedAt, 'u-2'),
    );
    expect(cases.get('m-1')).toEqual({
      ...member,
      version: 2,
      closed: true,
      closed_on: closedAt,
      closed_by: 'u-2',
      modified_on: closedAt,
      modified_by: 'u-2',
      changed_on: closedAt,
      server_modified_on: closedAt,
      properties: { age: '34', close_reason: 'moved' },
      indices: [],
      xform_ids: ['form-reg-1', 'form-close-1'],
    });
  });

  it('changes an existing index in place', () => {
    const blocks: CaseBlock[] = [
      {
        case_id: 'm-1',
        date_modified: null,
        user_id: null,
        actions: [
          {
            type: 'index',
            indices: [
              {
                identifier: 'parent',
                referenced_type: 'household',
                referenced_id: 'hh-2',
                relationship: 'extension',
              },
            ],
          },
        ],
      },
    ];
    const cases = applied(new Map([['m-1', member]]), blocks, context('f2', savedAt + 1));
    expect(cases.get('m-1')?.indices).toEqual([
      {
        identifier: 'parent',
        referenced_type: 'household',
        referenced_id: 'hh-2',
        relationship: 'extension',
      },
    ]);
  });

  it('uses the form user and time for a block without user_id and date_modified', () => {
    const blocks: CaseBlock[] = [
      { case_id: 'm-1', date_modified: null, user_id: null, actions: [{ type: 'close' }] },
    ];
    const timeEnd = Date.UTC(2026, 5, 1);
    const cases = applied(new Map([['m-1', member]]), blocks, {
      ...context('f3', timeEnd + 1000, 'u-9'),
      formTimeEndMs: timeEnd,
    });
    expect(cases.get('m-1')).toMatchObject({ closed_on: timeEnd, closed_by: 'u-9', modified_by: 'u-9' });
  });

  it('applies several blocks for one case in order, with one version bump and one form id', () => {
    const blocks: CaseBlock[] = [
      {
        case_id: 'n',
        date_modified: '2026-01-01',
        user_id: 'u',
        actions: [{ type: 'create', fields: { case_type: 't', name: 'first' } }],
      },
      {
        case_id: 'n',
        date_modified: '2026-01-01',
        user_id: 'u',
        actions: [{ type: 'update', fields: { name: 'second' }, properties: {} }],
      },
    ];
    const cases = applied(new Map(), blocks, context('f4', savedAt));
    expect(cases.get('n')).toMatchObject({ version: 1, name: 'second', owner_id: 'u', xform_ids: ['f4'] });
  });

  it('leaves the current states untouched', () => {
    const current = new Map([['m-1', member]]);
    const snapshot = structuredClone(member);
    applied(current, blocksOf('close.xml'), context('form-close-1', savedAt));
    expect(current.get('m-1')).toEqual(snapshot);
  });

  it('answers CaseNotFoundError for an update of a case that neither exists nor is created', () => {
    const result = applyCaseBlocks(new Map(), blocksOf('close.xml'), context('form-close-1', savedAt));
    expect(result).toEqual({ ok: false, error: new CaseNotFoundError('m-1') });
    expect(!result.ok && result.error.caseId).toBe('m-1');
  });

  it('answers CaseDomainMismatchError for a case of another domain, even with a create', () => {
    const foreign = new Map([['hh-1', { ...household, domain: 'other' }]]);
    const result = applyCaseBlocks(foreign, blocksOf('registration.xml'), context('form-reg-1', savedAt));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toBeInstanceOf(CaseDomainMismatchError);
    expect(!result.ok && result.error.caseId).toBe('hh-1');
  });

  it('answers CaseDateError for an unreadable date_modified', () => {
    const blocks: CaseBlock[] = [{ case_id: 'm-1', date_modified: 'yesterday', user_id: null, actions: [] }];
    const result = applyCaseBlocks(new Map([['m-1', member]]), blocks, context('f5', savedAt));
    expect(!result.ok && result.error).toEqual(new CaseDateError('m-1', 'yesterday'));
  });
});

describe('parseXFormDateMs', () => {
  it.each([
    ['2026-03-01', Date.UTC(2026, 2, 1)],
    ['2026-03-01T09:15:00.000+01:00', Date.UTC(2026, 2, 1, 8, 15)],
    ['2026-03-01T09:15:00.000+0100', Date.UTC(2026, 2, 1, 8, 15)],
    ['2026-03-01T09:15:00Z', Date.UTC(2026, 2, 1, 9, 15)],
    ['2026-03-01T09:15:00', Date.UTC(2026, 2, 1, 9, 15)],
    ['2026-03-01 09:15', Date.UTC(2026, 2, 1, 9, 15)],
    ['not a date', null],
    ['2026-13-45', null],
  ])('reads %s', (text, expected) => {
    expect(parseXFormDateMs(text)).toBe(expected);
  });
});
