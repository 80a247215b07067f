/**
 * Realistic CommCare documents for the benchmarks: a follow-up visit form of about 60 questions
 * with a repeat group, and a household-member case with about 40 properties. Deterministic: the
 * same seed gives the same document, different seeds differ in every value (ids, dates, answers).
 */
import { seededRandom } from '../cli/demo-application.js';
import type { Case, Form, JsonObject } from '../schemas/generated/index.js';

export interface Draw {
  id(): string;
  pick<T>(values: readonly T[]): T;
  int(min: number, max: number): number;
  decimal(min: number, max: number, digits: number): string;
  date(fromMs: number, days: number): string;
}

export function draw(seed: number): Draw {
  const next = seededRandom(seed);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');
  return {
    id: () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
    pick: (values) => values[Math.floor(next() * values.length)]!,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    decimal: (min, max, digits) => (min + next() * (max - min)).toFixed(digits),
    date: (fromMs, days) =>
      new Date(fromMs + Math.floor(next() * days) * 86_400_000).toISOString().slice(0, 10),
  };
}

const epoch = Date.UTC(2024, 0, 1);
const yesNo = ['yes', 'no'] as const;

/** The question tree of one follow-up visit (XForm answers are text): 61 answers, 3 repeat entries. */
export function followUpVisitBody(seed: number, caseId: string, userId: string): JsonObject {
  const d = draw(seed);
  const visitDate = d.date(epoch, 300);
  const child = (): JsonObject => ({
    child_name: d.pick(['Amina', 'Baraka', 'Chausiku', 'Daudi', 'Eshe', 'Faraji', 'Gift', 'Hawa']),
    child_dob: d.date(epoch - 5 * 365 * 86_400_000, 5 * 365),
    child_sex: d.pick(['female', 'male']),
    immunization_up_to_date: d.pick(yesNo),
    child_muac_cm: d.decimal(11, 17, 1),
    child_weight_kg: d.decimal(6, 20, 1),
    illness_last_2_weeks: d.pick(yesNo),
    child_referred: d.pick(['no', 'no', 'no', 'yes']),
  });
  const temperature = d.decimal(35.8, 39.5, 1);
  return {
    '#type': 'data',
    '@name': 'Follow-up Visit',
    '@uiVersion': '1',
    '@version': String(d.int(300, 420)),
    '@xmlns': 'http://openrosa.org/formdesigner/8F3C1B2E-6A4D-4E4B-9C1F-1D2E3F4A5B6C',
    visit: {
      visit_date: visitDate,
      visit_type: d.pick(['routine', 'missed_appointment', 'referral_follow_up']),
      visit_number: String(d.int(1, 12)),
      client_present: d.pick(['yes', 'yes', 'yes', 'no']),
      consent: 'yes',
      location_confirmed: d.pick(yesNo),
      gps: `${d.decimal(-4, 2, 6)} ${d.decimal(33, 41, 6)} ${d.int(900, 2100)} ${d.decimal(3, 20, 1)}`,
    },
    vitals: {
      temperature,
      pulse: String(d.int(55, 120)),
      resp_rate: String(d.int(12, 30)),
      bp_systolic: String(d.int(95, 165)),
      bp_diastolic: String(d.int(60, 105)),
      weight_kg: d.decimal(40, 95, 1),
      height_cm: String(d.int(145, 190)),
      muac_cm: d.decimal(19, 33, 1),
      spo2: String(d.int(88, 100)),
    },
    symptoms: {
      fever: Number(temperature) >= 37.5 ? 'yes' : 'no',
      cough: d.pick(yesNo),
      cough_days: String(d.int(0, 21)),
      diarrhoea: d.pick(['no', 'no', 'yes']),
      vomiting: d.pick(['no', 'no', 'yes']),
      headache: d.pick(yesNo),
      fatigue: d.pick(yesNo),
      appetite: d.pick(['normal', 'reduced', 'none']),
      danger_signs: d.pick(['none', 'none', 'none', 'convulsions', 'unable_to_drink']),
      other_symptoms: d.pick(['', '', 'joint pain', 'rash on both arms since last week']),
    },
    medication: {
      on_treatment: d.pick(['yes', 'yes', 'no']),
      regimen: d.pick(['tdf_3tc_dtg', 'azt_3tc_nvp', 'abc_3tc_dtg']),
      doses_missed: String(d.int(0, 6)),
      side_effects: d.pick(['none', 'none', 'nausea', 'dizziness']),
      refill_needed: d.pick(yesNo),
      refill_date: d.date(epoch + 300 * 86_400_000, 60),
      adherence_counselling: d.pick(['done', 'not_needed']),
    },
    household: {
      members: String(d.int(1, 11)),
      children_under_5: String(d.int(0, 4)),
      water_source: d.pick(['piped', 'borehole', 'river', 'rainwater']),
      toilet: d.pick(['pit_latrine', 'flush', 'none']),
      bednet: d.pick(yesNo),
      bednet_used_last_night: d.pick(yesNo),
    },
    children: Array.from({ length: 3 }, child),
    referral: {
      referral_needed: d.pick(['no', 'no', 'yes']),
      referral_facility: d.pick(['', 'Kibera Health Centre', 'Mbagathi District Hospital']),
      referral_reason: d.pick(['', 'high fever with danger signs', 'missed treatment']),
      referral_urgency: d.pick(['', 'routine', 'urgent']),
    },
    counselling: {
      topics: d.pick(['nutrition hygiene', 'nutrition hygiene family_planning', 'adherence']),
      next_visit_date: d.date(epoch + 300 * 86_400_000, 45),
      notes: d.pick([
        'Client doing well; reminded about the clinic appointment.',
        'Discussed side effects and when to return to the facility.',
        '',
      ]),
    },
    case: {
      '@case_id': caseId,
      '@date_modified': `${visitDate}T10:${String(d.int(10, 59))}:00.000000Z`,
      '@user_id': userId,
      '@xmlns': 'http://commcarehq.org/case/transaction/v2',
      update: {
        last_visit_date: visitDate,
        visit_count: String(d.int(1, 12)),
        last_temperature: temperature,
        next_visit_date: d.date(epoch + 300 * 86_400_000, 45),
        risk_level: d.pick(['low', 'medium', 'high']),
      },
    },
    meta: {
      '@xmlns': 'http://openrosa.org/jr/xforms',
      deviceID: `commcare_${d.id()}`,
      timeStart: `${visitDate}T10:02:11.000000Z`,
      timeEnd: `${visitDate}T10:21:47.000000Z`,
      username: `chw.${d.pick(['amani', 'baraka', 'neema', 'zawadi'])}`,
      userID: userId,
      instanceID: d.id(),
      appVersion: 'CommCare Android, version "2.53.1"(463402). App v412. CommCare Version 2.53.1',
      drift: '0',
    },
  };
}

/** A follow-up visit form change event, every field set, as the `forms` topic carries it. */
export function followUpVisitForm(seed: number): Form {
  const d = draw(seed ^ 0x5bd1e995);
  const formId = d.id();
  const caseId = d.id();
  const userId = d.id();
  const receivedOn = epoch + d.int(0, 300 * 86_400) * 1000;
  return {
    doc_id: formId,
    domain: 'kenya-chw',
    doc_type: 'XFormInstance',
    version: d.int(1, 3),
    deleted: false,
    changed_on: receivedOn + 120,
    xmlns: 'http://openrosa.org/formdesigner/8F3C1B2E-6A4D-4E4B-9C1F-1D2E3F4A5B6C',
    form_name: 'Follow-up Visit',
    app_id: d.id(),
    build_id: d.id(),
    user_id: userId,
    username: 'chw.amani',
    device_id: `commcare_${d.id()}`,
    auth_user_id: null,
    auth_username: null,
    auth_method: null,
    form_body_url: null,
    received_on: receivedOn,
    server_modified_on: receivedOn + 120,
    time_start: receivedOn - 1_176_000,
    time_end: receivedOn - 30_000,
    state: 'normal',
    case_ids: [caseId],
    attachments: [
      {
        name: 'form.xml',
        content_type: 'text/xml',
        content_length: d.int(6_000, 9_000),
        blob_key: `forms/${formId}/form.xml`,
      },
    ],
    form: followUpVisitBody(seed, caseId, userId),
  };
}

/** A household-member case with 40 properties, 2 indices and 6 forms in its history. */
export function householdMemberCase(seed: number): Case {
  const d = draw(seed ^ 0x2545f491);
  const caseId = d.id();
  const userId = d.id();
  const openedOn = epoch + d.int(0, 200 * 86_400) * 1000;
  const modifiedOn = openedOn + d.int(1, 90) * 86_400_000;
  const properties: Record<string, string> = {
    first_name: d.pick(['Amina', 'Baraka', 'Chausiku', 'Daudi', 'Eshe', 'Faraji']),
    last_name: d.pick(['Otieno', 'Wanjiru', 'Mwangi', 'Achieng', 'Kamau']),
    dob: d.date(epoch - 60 * 365 * 86_400_000, 50 * 365),
    sex: d.pick(['female', 'male']),
    phone_number: `+2547${d.int(10_000_000, 99_999_999)}`,
    national_id: String(d.int(10_000_000, 39_999_999)),
    village: d.pick(['Gatwekera', 'Kianda', 'Lindi', 'Makina', 'Silanga']),
    household_id: d.id(),
    household_head: d.pick(yesNo),
    marital_status: d.pick(['single', 'married', 'widowed', 'divorced']),
    education_level: d.pick(['none', 'primary', 'secondary', 'tertiary']),
    occupation: d.pick(['trader', 'farmer', 'teacher', 'casual_labourer', 'none']),
    enrolled_on: d.date(epoch, 200),
    enrolment_reason: d.pick(['hiv_positive', 'tb_contact', 'pregnancy', 'chronic_condition']),
    hiv_status: d.pick(['positive', 'negative', 'unknown']),
    art_start_date: d.date(epoch - 3 * 365 * 86_400_000, 3 * 365),
    regimen: d.pick(['tdf_3tc_dtg', 'azt_3tc_nvp', 'abc_3tc_dtg']),
    viral_load: String(d.int(0, 100_000)),
    viral_load_date: d.date(epoch, 250),
    tb_screening: d.pick(['negative', 'positive', 'not_done']),
    pregnant: d.pick(['no', 'no', 'yes']),
    edd: d.pick(['', d.date(epoch + 200 * 86_400_000, 200)]),
    last_visit_date: d.date(epoch + 200 * 86_400_000, 100),
    visit_count: String(d.int(1, 24)),
    last_temperature: d.decimal(35.8, 39.5, 1),
    last_weight_kg: d.decimal(40, 95, 1),
    last_muac_cm: d.decimal(19, 33, 1),
    risk_level: d.pick(['low', 'medium', 'high']),
    next_visit_date: d.date(epoch + 300 * 86_400_000, 45),
    missed_visits: String(d.int(0, 4)),
    refill_date: d.date(epoch + 300 * 86_400_000, 60),
    doses_missed_last_month: String(d.int(0, 6)),
    referral_status: d.pick(['none', 'referred', 'completed']),
    referral_facility: d.pick(['', 'Kibera Health Centre', 'Mbagathi District Hospital']),
    bednet: d.pick(yesNo),
    water_source: d.pick(['piped', 'borehole', 'river', 'rainwater']),
    children_under_5: String(d.int(0, 4)),
    consent_given: 'yes',
    chw_notes: d.pick(['', 'Prefers visits in the afternoon.', 'Lives with elderly mother.']),
    status: d.pick(['active', 'active', 'lost_to_follow_up', 'transferred_out']),
  };
  return {
    doc_id: caseId,
    domain: 'kenya-chw',
    doc_type: 'CommCareCase',
    version: d.int(2, 24),
    deleted: false,
    changed_on: modifiedOn + 150,
    case_type: 'household_member',
    name: `${properties.first_name} ${properties.last_name}`,
    owner_id: d.id(),
    opened_on: openedOn,
    opened_by: userId,
    modified_on: modifiedOn,
    modified_by: userId,
    server_modified_on: modifiedOn + 150,
    closed: false,
    closed_on: null,
    closed_by: null,
    external_id: `HH-${d.int(1000, 9999)}-${d.int(1, 9)}`,
    location_id: d.id(),
    properties,
    indices: [
      { identifier: 'parent', referenced_type: 'household', referenced_id: d.id(), relationship: 'child' },
      { identifier: 'host', referenced_type: 'patient', referenced_id: d.id(), relationship: 'extension' },
    ],
    xform_ids: Array.from({ length: 6 }, () => d.id()),
    change_source: 'form',
  };
}
