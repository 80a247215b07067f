import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseXForm,
  XFormDoctypeError,
  XFormMissingXmlnsError,
  XFormSyntaxError,
  type ParsedXForm,
} from './xform-parse.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

function syntaxErrorOf(xml: string | Uint8Array): XFormSyntaxError {
  try {
    parseXForm(xml);
  } catch (error) {
    if (error instanceof XFormSyntaxError) return error;
    throw error;
  }
  throw new Error('expected an XFormSyntaxError');
}

const minimal = (body: string): string =>
  `<data xmlns="urn:f">${body}<meta xmlns="http://openrosa.org/jr/xforms"><instanceID>i-1</instanceID></meta></data>`;

describe('parseXForm', () => {
  it('turns a registration form into the platform form JSON with its case blocks in place', () => {
    const { form, xmlns } = parseXForm(fixture('registration.xml'));
    expect(xmlns).toBe('http://openrosa.org/formdesigner/household-registration');
    expect(form).toEqual({
      '#type': 'data',
      '@xmlns': 'http://openrosa.org/formdesigner/household-registration',
      '@uiVersion': '1',
      '@version': '12',
      '@name': 'Household registration',
      household_name: 'Okafor',
      village: 'Ikeja',
      member: { first_name: 'Ada', age: '34' },
      case: {
        '@xmlns': 'http://commcarehq.org/case/transaction/v2',
        '@case_id': 'hh-1',
        '@date_modified': '2026-03-01T08:15:00.000000Z',
        '@user_id': 'u-1',
        create: { case_type: 'household', case_name: 'Okafor', owner_id: 'grp-9' },
        update: { village: 'Ikeja', location_id: 'loc-3' },
      },
      member_case: {
        case: {
          '@xmlns': 'http://commcarehq.org/case/transaction/v2',
          '@case_id': 'm-1',
          '@date_modified': '2026-03-01T08:15:00.000000Z',
          '@user_id': 'u-1',
          create: { case_type: 'member', case_name: 'Ada Okafor', owner_id: 'grp-9' },
          update: { age: '34', date_opened: '2026-02-28' },
          index: { parent: { '@case_type': 'household', '#text': 'hh-1' } },
        },
      },
      meta: {
        '@xmlns': 'http://openrosa.org/jr/xforms',
        deviceID: 'device-42',
        timeStart: '2026-03-01T08:10:00.000000Z',
        timeEnd: '2026-03-01T08:15:00.000000Z',
        username: 'ada.worker',
        userID: 'u-1',
        instanceID: 'form-reg-1',
        appVersion: {
          '@xmlns': 'http://commcarehq.org/xforms',
          '#text': 'CommCare Android, version "2.53.1"',
        },
      },
    });
  });

  it('lifts every meta field into the metadata', () => {
    expect(parseXForm(fixture('registration.xml')).metadata).toEqual({
      instanceID: 'form-reg-1',
      generatedId: false,
      timeStart: '2026-03-01T08:10:00.000000Z',
      timeEnd: '2026-03-01T08:15:00.000000Z',
      userID: 'u-1',
      username: 'ada.worker',
      deviceID: 'device-42',
      appVersion: 'CommCare Android, version "2.53.1"',
    });
  });

  it('reads an orx:meta block and leaves absent fields null', () => {
    expect(parseXForm(fixture('nested-groups.xml')).metadata).toEqual({
      instanceID: 'uuid:5b1f0c1e-4e8a-4c3f-9d0a-2f1e6d7c8b9a',
      generatedId: false,
      timeStart: '2026-05-05T12:00:00.000000Z',
      timeEnd: null,
      userID: 'u-7',
      username: null,
      deviceID: null,
      appVersion: '2.54',
    });
  });

  it('keeps nested groups, attributes, empty elements, repeats, unicode, entities and CDATA', () => {
    const { form }: ParsedXForm = parseXForm(fixture('nested-groups.xml'));
    expect(form).toEqual({
      '#type': 'data',
      '@xmlns': 'http://openrosa.org/formdesigner/survey',
      '@version': '3',
      section_a: { inner: { deepest: '42' }, blank: '', blank_pair: '' },
      answer: { '@lang': 'fr', '#text': 'bonjour' },
      photo: { '@src': 'photo.jpg', '@type': 'image/jpeg' },
      greeting: 'नमस्ते — 你好 — Ünïcödé ✓ & <ok>',
      notes: 'a <raw> & note',
      item: ['one', 'two', ''],
      meta: {
        '@xmlns': 'http://openrosa.org/xforms',
        instanceID: 'uuid:5b1f0c1e-4e8a-4c3f-9d0a-2f1e6d7c8b9a',
        timeStart: '2026-05-05T12:00:00.000000Z',
        userID: 'u-7',
        appVersion: { '@xmlns': 'http://commcarehq.org/xforms', '#text': '2.54' },
      },
    });
  });

  it('makes a repeat group an array of objects in document order', () => {
    const { form } = parseXForm(fixture('followup.xml'));
    const medications = form.medication as { drug: string }[];
    expect(medications.map((m) => m.drug)).toEqual(['amoxicillin', 'paracetamol']);
  });

  it('accepts a string, a Buffer and a UTF-8 byte order mark alike', () => {
    const xml = minimal('<q>é</q>');
    const expected = parseXForm(xml).form;
    expect(parseXForm(Buffer.from(xml)).form).toEqual(expected);
    expect(parseXForm(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)])).form).toEqual(
      expected,
    );
  });

  it('reports malformed XML with its line and column', () => {
    const error = syntaxErrorOf(fixture('malformed.xml'));
    expect(error).toMatchObject({
      name: 'XFormSyntaxError',
      line: 3,
      column: 18,
      reason: 'unexpected close tag.',
    });
    expect(error.message).toBe('3:18: unexpected close tag.');
  });

  it('rejects a DOCTYPE before any entity in it is looked at', () => {
    const error = syntaxErrorOf(fixture('doctype.xml'));
    expect(error).toBeInstanceOf(XFormDoctypeError);
    expect(error).toMatchObject({ line: 2, reason: 'a DOCTYPE is not allowed in a submission' });
  });

  it('refuses an entity that is not one of the five predefined ones', () => {
    expect(syntaxErrorOf(minimal('<q>&secret;</q>'))).toMatchObject({ line: 1, reason: 'undefined entity.' });
  });

  it('reports an unbound namespace prefix as a syntax error', () => {
    expect(syntaxErrorOf(minimal('<x:q>1</x:q>')).reason).toMatch(/unbound namespace prefix/);
  });

  it('reports bytes that are not UTF-8 with the position of the first bad one', () => {
    const bytes = Buffer.concat([
      Buffer.from('<data>\n  <q>'),
      Buffer.from([0xff]),
      Buffer.from('</q></data>'),
    ]);
    expect(syntaxErrorOf(bytes)).toMatchObject({ line: 2, column: 6, reason: 'the body is not valid UTF-8' });
  });

  it('reports an empty body and a truncated one', () => {
    expect(syntaxErrorOf('').reason).toMatch(/document must contain a root element/);
    expect(syntaxErrorOf('<data><q>').reason).toMatch(/unclosed tag/);
  });

  it('refuses elements nested deeper than 1,000 levels instead of overflowing the stack', () => {
    const deep = '<a>'.repeat(100_000) + '</a>'.repeat(100_000);
    expect(syntaxErrorOf(deep)).toMatchObject({
      line: 1,
      column: 3003,
      reason: 'elements nested deeper than 1000',
    });
  });

  it('refuses a form whose root has no xmlns, as CommCare does', () => {
    expect(() => parseXForm('<data><meta><instanceID>x</instanceID></meta></data>')).toThrow(
      XFormMissingXmlnsError,
    );
    expect(() => parseXForm('<data/>')).toThrow(XFormMissingXmlnsError);
  });

  it('takes the id from Meta/uid, meta/uid, then meta/instanceID, and makes one up when there is none', () => {
    const id = (body: string) => parseXForm(`<data xmlns="urn:f">${body}</data>`).metadata;
    expect(id('<Meta><uid>bhoma-1</uid><instanceID>x</instanceID></Meta>').instanceID).toBe('bhoma-1');
    expect(id('<meta><uid>u-1</uid><instanceID>i-1</instanceID></meta>').instanceID).toBe('u-1');
    expect(id('<meta><uid></uid><instanceID>i-1</instanceID></meta>').instanceID).toBe('i-1');
    expect(id('<Meta/><meta><instanceID>i-2</instanceID></meta>').instanceID).toBe('i-2');
    const made = id('<meta><instanceID> </instanceID></meta>');
    expect(made.generatedId).toBe(true);
    expect(made.instanceID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseXForm(fixture('no-instance-id.xml')).metadata.generatedId).toBe(true);
  });

  it('renames old meta as scrub_meta does: Meta to meta, TimeStart, TimeEnd, chw_id, DeviceID, uid', () => {
    const { form, metadata } = parseXForm(
      '<data xmlns="urn:f"><Meta><TimeStart>2010-01-02T03:04:05</TimeStart><chw_id>c-1</chw_id><DeviceID>d</DeviceID><uid>u-9</uid></Meta></data>',
    );
    expect(form.Meta).toBeUndefined();
    expect(form.meta).toEqual({
      timeStart: '2010-01-02T03:04:05.000000Z',
      userID: 'c-1',
      deviceID: 'd',
      instanceID: 'u-9',
    });
    expect(metadata).toMatchObject({ instanceID: 'u-9', userID: 'c-1', deviceID: 'd' });
  });

  it('keeps uuid: prefixes, a single repeat as an object, namespaced attributes as lxml names them, and only the leading text as #text', () => {
    const { form, metadata } = parseXForm(
      '<data xmlns="urn:f" xmlns:jr="http://openrosa.org/javarosa"><kid jr:template=""><name>a</name></kid><mixed a="1">lead<b>x</b>tail</mixed><meta><instanceID>uuid:abc</instanceID></meta></data>',
    );
    expect(metadata.instanceID).toBe('uuid:abc');
    expect(form.kid).toEqual({ '@{http://openrosa.org/javarosa}template': '', name: 'a' });
    expect(form.mixed).toEqual({ '@a': '1', b: 'x', '#text': 'lead' });
  });

  it('normalises datetime answers to UTC as adjust_datetimes does, and leaves dates and text alone', () => {
    const { form } = parseXForm(
      '<data xmlns="urn:f"><t1>2013-04-19T16:53:02.799-04</t1><t2>2013-04-19 16:53</t2><d>2013-04-19</d><x>16:53:02</x><bad>2013-02-30T10:00:00</bad></data>',
    );
    expect(form).toMatchObject({
      t1: '2013-04-19T20:53:02.799000Z',
      t2: '2013-04-19T16:53:00.000000Z',
      d: '2013-04-19',
      x: '16:53:02',
      bad: '2013-02-30T10:00:00',
    });
  });
});
