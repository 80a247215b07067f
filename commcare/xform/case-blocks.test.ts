import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaseBlockError, caseIdsOf, extractCaseBlocks, type CaseBlock } from './case-blocks.js';
import { parseXForm, parseXmlDocument } from './xform-parse.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const blocksOf = (name: string): CaseBlock[] => extractCaseBlocks(parseXForm(fixture(name)).root);
const blocksOfXml = (xml: string): CaseBlock[] => extractCaseBlocks(parseXmlDocument(xml));
const v2 = 'xmlns="http://commcarehq.org/case/transaction/v2"';

describe('extractCaseBlocks', () => {
  it('reads a create, an update with special properties, and an index from a registration', () => {
    expect(blocksOf('registration.xml')).toEqual([
      {
        case_id: 'hh-1',
        date_modified: '2026-03-01T08:15:00.000000Z',
        user_id: 'u-1',
        actions: [
          { type: 'create', fields: { case_type: 'household', name: 'Okafor', owner_id: 'grp-9' } },
          { type: 'update', fields: { location_id: 'loc-3' }, properties: { village: 'Ikeja' } },
        ],
      },
      {
        case_id: 'm-1',
        date_modified: '2026-03-01T08:15:00.000000Z',
        user_id: 'u-1',
        actions: [
          { type: 'create', fields: { case_type: 'member', name: 'Ada Okafor', owner_id: 'grp-9' } },
          { type: 'update', fields: { opened_on: '2026-02-28' }, properties: { age: '34' } },
          {
            type: 'index',
            indices: [
              {
                identifier: 'parent',
                referenced_type: 'household',
                referenced_id: 'hh-1',
                relationship: 'child',
              },
            ],
          },
        ],
      },
    ]);
  });

  it('finds one block per repeat of a repeat group, in document order, with extension indices', () => {
    expect(blocksOf('followup.xml')).toEqual([
      {
        case_id: 'm-1',
        date_modified: '2026-03-08T10:00:00.000000Z',
        user_id: 'u-1',
        actions: [
          { type: 'update', fields: { name: 'Ada O. Okafor' }, properties: { last_visit: '2026-03-08' } },
        ],
      },
      {
        case_id: 'med-1',
        date_modified: '2026-03-08T10:00:00.000000Z',
        user_id: 'u-1',
        actions: [
          { type: 'create', fields: { case_type: 'medication', name: 'amoxicillin', owner_id: 'grp-9' } },
          { type: 'update', fields: {}, properties: { dose_mg: '500' } },
          {
            type: 'index',
            indices: [
              {
                identifier: 'parent',
                referenced_type: 'member',
                referenced_id: 'm-1',
                relationship: 'child',
              },
            ],
          },
        ],
      },
      {
        case_id: 'med-2',
        date_modified: '2026-03-08T10:00:00.000000Z',
        user_id: 'u-1',
        actions: [
          { type: 'create', fields: { case_type: 'medication', name: 'paracetamol', owner_id: 'grp-9' } },
          { type: 'update', fields: {}, properties: { dose_mg: '1000' } },
          {
            type: 'index',
            indices: [
              {
                identifier: 'host',
                referenced_type: 'member',
                referenced_id: 'm-1',
                relationship: 'extension',
              },
            ],
          },
        ],
      },
    ]);
  });

  it('reads an index removal (empty value) and a close', () => {
    expect(blocksOf('close.xml')).toEqual([
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

  it('keeps document order across different groups', () => {
    const xml = `<data><a><case ${v2} case_id="c1"><close/></case></a><b><case ${v2} case_id="c2"><close/></case></b><a><case ${v2} case_id="c3"><close/></case></a></data>`;
    expect(blocksOfXml(xml).map((block) => block.case_id)).toEqual(['c1', 'c2', 'c3']);
  });

  it('refuses a CommCare 1.x case block (no xmlns) with a 422 reason instead of ignoring it', () => {
    expect(() => blocksOfXml('<data><case><case_id>x</case_id><close/></case></data>')).toThrow(
      /CommCare 1\.x case block \(no xmlns\): only case XML 2\.0/,
    );
  });

  it("reads a <case> that inherits the form's default namespace as 1.x, as CommCare's form JSON has no @xmlns for it", () => {
    expect(() => blocksOfXml('<data xmlns="urn:f"><case case_id="x"><close/></case></data>')).toThrow(
      /CommCare 1\.x/,
    );
  });

  it('refuses a case block of an unknown case namespace, as CommCare does', () => {
    expect(() => blocksOfXml('<data><case xmlns="urn:other" case_id="x"><close/></case></data>')).toThrow(
      /urn:other is not a valid case xmlns/,
    );
  });

  it('ignores <case> elements without a case id and everything in device reports', () => {
    expect(blocksOfXml('<data><case><note>hi</note></case></data>')).toEqual([]);
    const report = `<device_report xmlns="http://code.javarosa.org/devicereport"><case ${v2} case_id="x"><close/></case></device_report>`;
    expect(blocksOfXml(report)).toEqual([]);
  });

  it('sets fields from special update properties and keeps the rest as properties', () => {
    const xml = `<data><case ${v2} case_id="c1"><update><case_type>patient</case_type><case_name>A</case_name><owner_id>o</owner_id><date_opened>2026-01-01</date_opened><external_id>e</external_id><location_id>l</location_id><date_modified>x</date_modified><hq_user_id>hu</hq_user_id><note></note></update></case></data>`;
    expect(blocksOfXml(xml)[0]?.actions).toEqual([
      {
        type: 'update',
        fields: {
          case_type: 'patient',
          name: 'A',
          owner_id: 'o',
          opened_on: '2026-01-01',
          external_id: 'hu',
          location_id: 'l',
        },
        properties: { hq_user_id: 'hu', note: '' },
      },
    ]);
  });

  it('reads attachment metadata, an empty src meaning removal', () => {
    const xml = `<data><case ${v2} case_id="c1"><attachment><photo src="photo.jpg" from="local" name="p.jpg"/><old/></attachment></case></data>`;
    expect(blocksOfXml(xml)[0]?.actions).toEqual([
      {
        type: 'attachment',
        attachments: [
          { identifier: 'photo', src: 'photo.jpg', from: 'local', name: 'p.jpg' },
          { identifier: 'old', src: null, from: null, name: null },
        ],
      },
    ]);
  });

  it('reads case_id, date_modified and user_id written as children by older devices', () => {
    const xml = `<data><case ${v2}><case_id>c9</case_id><date_modified>2026-01-02</date_modified><user_id>u</user_id><close/></case></data>`;
    expect(blocksOfXml(xml)).toEqual([
      { case_id: 'c9', date_modified: '2026-01-02', user_id: 'u', actions: [{ type: 'close' }] },
    ]);
  });

  it('rejects a block with an empty case id, naming its position', () => {
    expect(() => blocksOfXml(`<data>\n<case ${v2} case_id=" "><close/></case></data>`)).toThrow(
      CaseBlockError,
    );
    expect(() => blocksOfXml(`<data>\n<case ${v2} case_id=""><close/></case></data>`)).toThrow(
      /^2:\d+: a case block has an empty case_id$/,
    );
  });

  it('rejects an index without a case_type attribute, as CommCare does', () => {
    const xml = `<data><case ${v2} case_id="c1"><index><parent>p</parent></index></case></data>`;
    expect(() => blocksOfXml(xml)).toThrow(/index parent has no case_type attribute/);
  });

  it('rejects an index relationship other than child or extension', () => {
    const xml = `<data><case ${v2} case_id="c1"><index><parent case_type="t" relationship="sibling">p</parent></index></case></data>`;
    expect(() => blocksOfXml(xml)).toThrow(/relationship "sibling"/);
  });

  it('lists the case ids a form touches once each', () => {
    const xml = `<data><case ${v2} case_id="a"><close/></case><case ${v2} case_id="b"><close/></case><case ${v2} case_id="a"><close/></case></data>`;
    expect(caseIdsOf(blocksOfXml(xml))).toEqual(['a', 'b']);
  });
});
