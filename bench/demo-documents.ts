/**
 * The `demo` domain's change events for the ingest scenario: household registration and
 * follow-up visit forms, household and member cases, as the forms and cases topics carry them.
 * Deterministic: the same seed gives the same document.
 */
import type { Case, Form, JsonObject } from '../schemas/generated/index.js';
import { draw, type Draw } from './documents.js';

export const demoDomain = 'demo';
export const householdRegistrationXmlns = 'http://tributary.dev/demo/household-registration';
export const followupVisitXmlns = 'http://tributary.dev/demo/followup-visit';

const epoch = Date.UTC(2025, 0, 1);
const villages = ['Gatwekera', 'Kianda', 'Lindi', 'Makina', 'Silanga', 'Soweto East', 'Laini Saba'];
const firstNames = [
  'Amina',
  'Baraka',
  'Chausiku',
  'Daudi',
  'Eshe',
  'Faraji',
  'Gift',
  'Hawa',
  'Imani',
  'Juma',
];
const lastNames = ['Otieno', 'Wanjiru', 'Mwangi', 'Achieng', 'Kamau', 'Njeri', 'Odhiambo'];
const medicines = ['amoxicillin', 'paracetamol', 'ORS', 'zinc', 'artemether-lumefantrine', 'iron-folate'];

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isoTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

/** What every form shares: ids, times, the submitting user and device. */
function formEnvelope(d: Draw, xmlns: string, name: string, caseIds: string[], body: JsonObject): Form {
  const formId = d.id();
  const userId = `user-${d.int(1, 40)}`;
  const receivedOn = epoch + d.int(0, 300 * 86_400) * 1000;
  return {
    doc_id: formId,
    domain: demoDomain,
    doc_type: 'XFormInstance',
    version: 1,
    deleted: false,
    changed_on: receivedOn + 120,
    xmlns,
    form_name: name,
    app_id: 'demo-app-0001',
    build_id: `demo-build-${d.int(10, 14)}`,
    user_id: userId,
    username: `chw.${d.pick(['amani', 'baraka', 'neema', 'zawadi'])}`,
    device_id: `commcare_${d.id()}`,
    auth_user_id: null,
    auth_username: null,
    auth_method: null,
    form_body_url: null,
    received_on: receivedOn,
    server_modified_on: receivedOn + 120,
    time_start: receivedOn - d.int(300, 1500) * 1000,
    time_end: receivedOn - 30_000,
    state: 'normal',
    case_ids: caseIds,
    attachments: [
      {
        name: 'form.xml',
        content_type: 'text/xml',
        content_length: d.int(1_500, 4_000),
        blob_key: `forms/${formId}/form.xml`,
      },
    ],
    form: {
      '@xmlns': xmlns,
      '@name': name,
      '@uiVersion': '1',
      '@version': String(d.int(10, 14)),
      ...body,
      meta: {
        '@xmlns': 'http://openrosa.org/jr/xforms',
        deviceID: `commcare_${d.id()}`,
        timeStart: isoTime(receivedOn - 600_000),
        timeEnd: isoTime(receivedOn - 30_000),
        username: 'chw.demo',
        userID: userId,
        instanceID: formId,
        appVersion: 'CommCare Android, version "2.53.1"',
      },
    },
  };
}

/** A household registration: creates a `household` case with village, size and head's name. */
export function householdRegistrationForm(seed: number): Form {
  const d = draw(seed ^ 0x1b873593);
  const caseId = `household-${seed}`;
  const household = {
    village: d.pick(villages),
    household_size: String(d.int(1, 12)),
    head_name: `${d.pick(firstNames)} ${d.pick(lastNames)}`,
  };
  return formEnvelope(d, householdRegistrationXmlns, 'Household Registration', [caseId], {
    household,
    gps: `${d.decimal(-1.33, -1.29, 6)} ${d.decimal(36.77, 36.8, 6)} 1700 5.0`,
    consent: 'yes',
    case: {
      '@case_id': caseId,
      '@xmlns': 'http://commcarehq.org/case/transaction/v2',
      create: { case_type: 'household', case_name: household.head_name, owner_id: 'demo-team-1' },
      update: household,
    },
  });
}

/**
 * A follow-up visit of a member: vitals and a `medications.medication` repeat of 1–4 items
 * `{name, dose_mg, taken}`; as XForms do, a repeat with a single item is sometimes one object
 * instead of a list (1 visit in 8).
 */
export function followupVisitForm(seed: number): Form {
  const d = draw(seed ^ 0x85ebca6b);
  const caseId = `member-${d.int(1, 5_000)}`;
  const count = d.int(1, 4);
  const items: JsonObject[] = Array.from({ length: count }, () => ({
    name: d.pick(medicines),
    dose_mg: String(d.pick([5, 10, 20, 250, 500])),
    taken: d.pick(['yes', 'yes', 'yes', 'no']),
  }));
  const visitDate = isoDate(epoch + d.int(0, 300) * 86_400_000);
  const single = count === 1 && seed % 8 === 0;
  return formEnvelope(d, followupVisitXmlns, 'Follow-up Visit', [caseId], {
    visit_date: visitDate,
    member_case_id: caseId,
    temperature: d.decimal(35.8, 39.5, 1),
    weight_kg: d.decimal(3, 95, 1),
    danger_signs: d.pick(['none', 'none', 'none', 'convulsions', 'unable_to_drink']),
    medications: { medication: single ? items[0]! : items },
    case: {
      '@case_id': caseId,
      '@xmlns': 'http://commcarehq.org/case/transaction/v2',
      update: { last_visit_date: visitDate },
    },
  });
}

/** What every case shares. */
function caseEnvelope(
  d: Draw,
  caseId: string,
  caseType: string,
  name: string,
  properties: Record<string, string>,
  indices: Case['indices'],
): Case {
  const openedOn = epoch + d.int(0, 200 * 86_400) * 1000;
  const modifiedOn = openedOn + d.int(0, 90) * 86_400_000;
  const userId = `user-${d.int(1, 40)}`;
  return {
    doc_id: caseId,
    domain: demoDomain,
    doc_type: 'CommCareCase',
    version: 1,
    deleted: false,
    changed_on: modifiedOn + 150,
    case_type: caseType,
    name,
    owner_id: 'demo-team-1',
    opened_on: openedOn,
    opened_by: userId,
    modified_on: modifiedOn,
    modified_by: userId,
    server_modified_on: modifiedOn + 150,
    closed: false,
    closed_on: null,
    closed_by: null,
    external_id: null,
    location_id: 'demo-location-1',
    properties,
    indices,
    xform_ids: [d.id()],
    change_source: 'form',
  };
}

export function householdCase(seed: number): Case {
  const d = draw(seed ^ 0xcc9e2d51);
  const head = `${d.pick(firstNames)} ${d.pick(lastNames)}`;
  return caseEnvelope(
    d,
    `household-${seed}`,
    'household',
    head,
    {
      village: d.pick(villages),
      household_size: String(d.int(1, 12)),
      head_name: head,
    },
    [],
  );
}

export function memberCase(seed: number): Case {
  const d = draw(seed ^ 0xe6546b64);
  const age = d.int(0, 85);
  const dob = isoDate(epoch - age * 365.25 * 86_400_000 - d.int(0, 364) * 86_400_000);
  return caseEnvelope(
    d,
    `member-${seed}`,
    'member',
    `${d.pick(firstNames)} ${d.pick(lastNames)}`,
    {
      age: String(age),
      sex: d.pick(['female', 'male']),
      dob,
    },
    [
      {
        identifier: 'parent',
        referenced_type: 'household',
        referenced_id: `household-${1 + (seed % 2_000)}`,
        relationship: 'child',
      },
    ],
  );
}

/**
 * `count` change events in the mix a CommCare project sends: per 10 documents, 2 household
 * registrations, 3 follow-up visits, 2 household cases and 3 member cases. Forms and cases apart,
 * as their topics hold them.
 */
export function demoChanges(count: number): { forms: Form[]; cases: Case[] } {
  const forms: Form[] = [];
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const slot = i % 10;
    if (slot < 2) forms.push(householdRegistrationForm(i + 1));
    else if (slot < 5) forms.push(followupVisitForm(i + 1));
    else if (slot < 7) cases.push(householdCase(i + 1));
    else cases.push(memberCase(i + 1));
  }
  return { forms, cases };
}
