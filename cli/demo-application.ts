/**
 * A small built-in application that generates realistic submissions: household registration
 * (a household case and its member cases, each member indexed to the household as its parent), a
 * follow-up visit of a member with a repeat group of medications, and a form that closes a member.
 * Deterministic for a seed, so tests and benchmarks can repeat a run.
 */
import { randomUUID } from 'node:crypto';

export const demoXmlns = {
  registration: 'http://tributary.dev/demo/household-registration',
  followup: 'http://tributary.dev/demo/followup-visit',
  close: 'http://tributary.dev/demo/close-member',
} as const;

export interface DemoUser {
  id: string;
  /** Short username; the full one is `<username>@<domain>.commcarehq.org`. */
  username: string;
  password: string;
  locationId: string;
  groupId: string;
}

export interface GeneratedSubmission {
  kind: keyof typeof demoXmlns;
  formId: string;
  user: DemoUser;
  xml: string;
  /** The cases the form creates or changes. */
  caseIds: string[];
}

const villages = ['Kisumu', 'Bondo', 'Siaya', 'Homa Bay', 'Rongo', 'Migori', 'Kendu Bay', 'Ugunja'];
const givenNames = [
  'Amina',
  'Chidi',
  'Wanjiru',
  'Tunde',
  'Nia',
  'Kofi',
  'Achieng',
  'Baraka',
  'Zawadi',
  'Otieno',
  'Fatuma',
  'Jabari',
];
const familyNames = [
  'Okafor',
  'Mensah',
  'Kamau',
  'Bello',
  'Otieno',
  'Asante',
  'Odhiambo',
  'Wafula',
  'Mwangi',
  'Njoroge',
];
const medications = [
  { name: 'amoxicillin', doses: [250, 500] },
  { name: 'paracetamol', doses: [500, 1000] },
  { name: 'ors', doses: [200] },
  { name: 'zinc', doses: [10, 20] },
  { name: 'artemether-lumefantrine', doses: [80, 120] },
  { name: 'iron-folate', doses: [60] },
];

/** The demo's mobile users, locations and groups: `count` users in `count / 4` groups. */
export function demoUsers(count: number, domain: string): DemoUser[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${domain}-user-${String(i + 1).padStart(3, '0')}`,
    username: `chw${i + 1}`,
    password: `demo-pass-${i + 1}`,
    locationId: `${domain}-loc-${(i % villages.length) + 1}`,
    groupId: `${domain}-group-${Math.floor(i / 4) + 1}`,
  }));
}

export const demoVillages = villages;

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Member {
  caseId: string;
  user: DemoUser;
  visits: number;
}

export interface GeneratorOptions {
  domain: string;
  users: DemoUser[];
  seed?: number;
  /** The first form's completion time; each form is a few minutes after the previous one. */
  startMs?: number;
  /** Ids are random UUIDs unless a prefix makes them readable and deterministic. */
  idPrefix?: string;
}

/** What one generator run keeps between forms; the order of its random draws makes the stream. */
interface GeneratorState {
  options: GeneratorOptions;
  rand: () => number;
  pick: <T>(list: readonly T[]) => T;
  id: (kind: string) => string;
  open: Member[];
}

/**
 * An endless stream of submissions: registrations while few members are open, then mostly
 * follow-up visits, and now and then a closing form.
 */
export function* generateSubmissions(
  options: GeneratorOptions,
): Generator<GeneratedSubmission, never, undefined> {
  const rand = seededRandom(options.seed ?? 42);
  let counter = 0;
  const state: GeneratorState = {
    options,
    rand,
    pick: <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!,
    id: (kind: string) => (options.idPrefix ? `${options.idPrefix}-${kind}-${++counter}` : randomUUID()),
    open: [],
  };
  let clock = options.startMs ?? Date.UTC(2026, 9, 1, 7, 0, 0);
  for (;;) {
    clock += Math.floor(60_000 + rand() * 600_000);
    const roll = rand();
    if (state.open.length < 8 || roll < 0.3) yield registration(state, clock);
    else if (roll < 0.93 || state.open.length < 12) yield followup(state, clock);
    else yield closing(state, clock);
  }
}

/** A household and its members, each a case. */
function registration({ options, rand, pick, id, open }: GeneratorState, clock: number): GeneratedSubmission {
  const user = pick(options.users);
  const household = id('household');
  const family = pick(familyNames);
  const village = pick(villages);
  const size = 1 + Math.floor(rand() * 5);
  const members = Array.from({ length: size }, () => ({
    caseId: id('member'),
    name: `${pick(givenNames)} ${family}`,
    age: Math.floor(rand() * 70),
    sex: rand() < 0.5 ? 'female' : 'male',
  }));
  for (const member of members) open.push({ caseId: member.caseId, user, visits: 0 });
  const formId = id('form');
  const when = iso(clock);
  const memberXml = members
    .map(
      (m, i) => `    <member>
      <member_name>${m.name}</member_name>
      <age>${m.age}</age>
      <sex>${m.sex}</sex>
      <dob>${dateOnly(clock - m.age * 365.25 * 86_400_000 - i * 86_400_000)}</dob>
      ${caseBlock(
        m.caseId,
        when,
        user.id,
        `<create><case_type>member</case_type><case_name>${m.name}</case_name><owner_id>${user.id}</owner_id></create>
        <update><age>${m.age}</age><sex>${m.sex}</sex><dob>${dateOnly(clock - m.age * 365.25 * 86_400_000 - i * 86_400_000)}</dob></update>
        <index><parent case_type="household">${household}</parent></index>`,
      )}
    </member>`,
    )
    .join('\n');
  const xml = form(
    demoXmlns.registration,
    'Household registration',
    formId,
    user,
    options.domain,
    clock,
    `  <household_name>${family}</household_name>
  <village>${village}</village>
  <household_size>${size}</household_size>
  <head_name>${members[0]!.name}</head_name>
  ${caseBlock(
    household,
    when,
    user.id,
    `<create><case_type>household</case_type><case_name>${family} household</case_name><owner_id>${user.id}</owner_id></create>
    <update><village>${village}</village><household_size>${size}</household_size><head_name>${members[0]!.name}</head_name><location_id>${user.locationId}</location_id></update>`,
  )}
  <members>
${memberXml}
  </members>`,
  );
  return {
    kind: 'registration',
    formId,
    user,
    xml,
    caseIds: [household, ...members.map((m) => m.caseId)],
  };
}

/** A visit of an open member, with a few medications. */
function followup({ options, rand, pick, id, open }: GeneratorState, clock: number): GeneratedSubmission {
  const member = pick(open);
  member.visits++;
  const formId = id('form');
  const when = iso(clock);
  const count = Math.floor(rand() * 4);
  const meds = Array.from({ length: count }, () => {
    const med = pick(medications);
    return `      <medication>
        <name>${med.name}</name>
        <dose_mg>${pick(med.doses)}</dose_mg>
        <taken>${rand() < 0.8 ? 'yes' : 'no'}</taken>
      </medication>`;
  }).join('\n');
  const temperature = (36 + rand() * 3.5).toFixed(1);
  const xml = form(
    demoXmlns.followup,
    'Follow-up visit',
    formId,
    member.user,
    options.domain,
    clock,
    `  <visit_date>${dateOnly(clock)}</visit_date>
  <temperature>${temperature}</temperature>
  <medications>
${meds}
  </medications>
  ${caseBlock(member.caseId, when, member.user.id, `<update><last_visit_date>${dateOnly(clock)}</last_visit_date><last_temperature>${temperature}</last_temperature><visit_count>${member.visits}</visit_count></update>`)}`,
  );
  return { kind: 'followup', formId, user: member.user, xml, caseIds: [member.caseId] };
}

/** A member's case closed, for a reason. */
function closing({ options, rand, pick, id, open }: GeneratorState, clock: number): GeneratedSubmission {
  const index = Math.floor(rand() * open.length);
  const member = open.splice(index, 1)[0]!;
  const formId = id('form');
  const reason = pick(['moved', 'recovered', 'referred', 'deceased']);
  const xml = form(
    demoXmlns.close,
    'Close member',
    formId,
    member.user,
    options.domain,
    clock,
    `  <reason>${reason}</reason>
  ${caseBlock(member.caseId, iso(clock), member.user.id, `<update><close_reason>${reason}</close_reason></update><close/>`)}`,
  );
  return { kind: 'close', formId, user: member.user, xml, caseIds: [member.caseId] };
}

function caseBlock(caseId: string, when: string, userId: string, actions: string): string {
  return `<case xmlns="http://commcarehq.org/case/transaction/v2" case_id="${caseId}" date_modified="${when}" user_id="${userId}">
        ${actions}
      </case>`;
}

function form(
  xmlns: string,
  name: string,
  formId: string,
  user: DemoUser,
  domain: string,
  endMs: number,
  body: string,
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<data xmlns="${xmlns}" xmlns:jrm="http://dev.commcarehq.org/jr/xforms" uiVersion="1" version="7" name="${name}">
${body}
  <n0:meta xmlns:n0="http://openrosa.org/jr/xforms">
    <n0:deviceID>device-${user.username}</n0:deviceID>
    <n0:timeStart>${iso(endMs - 240_000)}</n0:timeStart>
    <n0:timeEnd>${iso(endMs)}</n0:timeEnd>
    <n0:username>${user.username}@${domain}.commcarehq.org</n0:username>
    <n0:userID>${user.id}</n0:userID>
    <n0:instanceID>${formId}</n0:instanceID>
    <n1:appVersion xmlns:n1="http://commcarehq.org/xforms">CommCare Android, version "2.54.0"</n1:appVersion>
  </n0:meta>
</data>
`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function dateOnly(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
