/**
 * Every function and operator of the case search language against real data: a fixture domain of
 * households, members (children and extensions of households) and lab results (children of
 * members) indexed in OpenSearch, and the same cases in a PostgreSQL table. Each query's expected
 * cases are computed independently, by a hand-written SQL predicate over that table (PostgreSQL's
 * own soundex and levenshtein for the phonetic and fuzzy functions, haversine for distances).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  and,
  compileXPath,
  domainScope,
  resolvePlan,
  searchActionsOf,
  type SearchIndexName,
} from '../../commcare/search/index.js';
import { SearchReader, maxRelatedCases } from '../../connectors/search/search-reader.js';
import type { SearchSink } from '../../connectors/search/search-sink.js';
import type { ResourcePool } from '../../runtime/engine/resources.js';
import type { Case } from '../../schemas/generated/case.js';
import type { Domain } from '../../schemas/generated/domain.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { testNames } from '../support/resources.js';
import { doc, dropIndices, startSearchSink } from './search-fixtures.js';

const names = testNames(import.meta.url);
const prefix = `${names.id}_`;
const domain = names.id.replace(/_/g, '-');
const schema = names.pgSchema();
const timeZone = 'Africa/Nairobi';
const database = await testDatabase();
const db = database.db;
let sink: SearchSink;
let resources: ResourcePool;
let reader: SearchReader;
let extensionSchema = 'public';

/** mulberry32: the same fixture every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST_NAMES = [
  'Amina',
  'Amena',
  'Aminah',
  'Amima',
  'Grace',
  'Grase',
  'Gracie',
  'Otieno',
  'Otiono',
  'Akinyi',
  'Achieng',
  'Wanjiru',
  'Njeri',
  'Kamau',
  'Kamao',
  'Mwangi',
  'Onyango',
  'amina Grace',
];
const VILLAGES = ['Bondo', 'Siaya', 'Usenge', 'Kisumu'];
const TAGS = ['red', 'blue', 'green'];
// Around midnight in Nairobi (UTC+3): 2024-03-10 20:00Z is 23:00 local, 21:30Z is 00:30 on the 11th.
const TIMES = [
  '2024-03-10T20:00:00Z',
  '2024-03-10T21:30:00Z',
  '2024-03-11T12:00:00Z',
  '2024-03-12T02:00:00Z',
].map(Date.parse);

function fixtureCases(): Case[] {
  const rnd = random(20260101);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const base = (
    id: string,
    type: string,
    properties: Record<string, string>,
    over: Partial<Case> = {},
  ): Case => ({
    doc_id: id,
    domain,
    doc_type: 'CommCareCase',
    version: 1,
    deleted: false,
    changed_on: TIMES[0]!,
    case_type: type,
    name: id,
    owner_id: pick(['u1', 'u2', 'u3']),
    opened_on: pick(TIMES),
    opened_by: 'u1',
    modified_on: pick(TIMES),
    modified_by: 'u1',
    server_modified_on: TIMES[3]!,
    closed: rnd() < 0.15,
    closed_on: null,
    closed_by: null,
    external_id: null,
    location_id: null,
    properties,
    indices: [],
    xform_ids: [],
    change_source: 'form',
    ...over,
  });
  const cases: Case[] = [];
  for (let i = 0; i < 30; i++) {
    const gps = `${(-0.1 + (rnd() - 0.5) * 0.4).toFixed(5)} ${(34.27 + (rnd() - 0.5) * 0.4).toFixed(5)}`;
    cases.push(
      base(
        `h${i}`,
        'household',
        { village: pick(VILLAGES), gps, size: String(1 + Math.floor(rnd() * 8)) },
        { name: `Household ${i}` },
      ),
    );
  }
  for (let i = 0; i < 150; i++) {
    const properties: Record<string, string> = { first_name: pick(FIRST_NAMES) };
    if (rnd() < 0.9) properties.age = rnd() < 0.05 ? 'unknown' : String(Math.floor(rnd() * 90));
    if (rnd() < 0.9)
      properties.dob = `${1940 + Math.floor(rnd() * 80)}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`;
    properties.tags = TAGS.filter(() => rnd() < 0.5).join(' ');
    const indices: Case['indices'] = [
      {
        identifier: 'parent',
        referenced_type: 'household',
        referenced_id: `h${Math.floor(rnd() * 30)}`,
        relationship: 'child',
      },
    ];
    if (rnd() < 0.3)
      indices.push({
        identifier: 'host',
        referenced_type: 'household',
        referenced_id: `h${Math.floor(rnd() * 30)}`,
        relationship: 'extension',
      });
    cases.push(base(`m${i}`, 'member', properties, { name: properties.first_name!, indices }));
  }
  for (let i = 0; i < 200; i++) {
    const day = 1 + Math.floor(rnd() * 28);
    cases.push(
      base(
        `l${i}`,
        'lab',
        {
          result: pick(['positive', 'negative', 'negative']),
          test_date: `2024-02-${String(day).padStart(2, '0')}`,
        },
        {
          indices: [
            {
              identifier: 'parent',
              referenced_type: 'member',
              referenced_id: `m${Math.floor(rnd() * 150)}`,
              relationship: 'child',
            },
          ],
        },
      ),
    );
  }
  return cases;
}

const cases = fixtureCases();

beforeAll(async () => {
  ({ sink, resources } = await startSearchSink({ indexPrefix: prefix, indices: ['case_search', 'domains'] }));
  reader = new SearchReader(sink.engine, prefix);
  const domainEvent: Domain = {
    doc_id: domain,
    domain,
    doc_type: 'Domain',
    version: 1,
    deleted: false,
    changed_on: 0,
    hr_name: null,
    is_active: true,
    is_test: true,
    date_created: 0,
    default_timezone: timeZone,
    project_type: null,
    countries: [],
    use_sql_backend: true,
  };
  const all = new Set<SearchIndexName>(['case_search', 'domains']);
  const records = [domainEvent, ...cases].flatMap((event) =>
    searchActionsOf(event, all).map((action) => doc(action.index, action.id, action.version, action.doc)),
  );
  // One member is deleted later: a tombstone at version 2.
  records.push(doc('case_search', 'm7', 2, null));
  expect((await sink.write(records)).failed).toEqual([]);
  await sink.engine.refresh(`${prefix}case_search`);
  // The project's time zone comes from the domains index: searchable now, not after its refresh interval.
  await sink.engine.refresh(`${prefix}domains`);

  await db.none('CREATE SCHEMA $1:name', [schema]);
  // Once per database, in public: installed in this test's schema it went with the schema when a
  // run dropped it, under another run still using it. Wherever it is, the queries find it.
  await db.none('CREATE EXTENSION IF NOT EXISTS fuzzystrmatch SCHEMA public');
  extensionSchema = (
    await db.one<{ schema: string }>(
      "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'fuzzystrmatch'",
    )
  ).schema;
  await db.none(
    `CREATE TABLE $1:name.cases (case_id text PRIMARY KEY, case_type text, name text, owner_id text, closed boolean,
       deleted boolean, opened_on timestamptz, modified_on timestamptz, properties jsonb, parent_id text, host_id text)`,
    [schema],
  );
  for (const c of cases) {
    const index = (identifier: string) =>
      c.indices.find((i) => i.identifier === identifier)?.referenced_id ?? null;
    await db.none('INSERT INTO $1:name.cases VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)', [
      schema,
      c.doc_id,
      c.case_type,
      c.name,
      c.owner_id,
      c.closed,
      c.doc_id === 'm7',
      new Date(c.opened_on),
      new Date(c.modified_on),
      JSON.stringify(c.properties),
      index('parent'),
      index('host'),
    ]);
  }
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await dropIndices(prefix);
  await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
  await database.close();
});

async function searched(query: string): Promise<string[]> {
  const plan = compileXPath(query, {
    fuzzy: false,
    fuzzyPrefixLength: 0,
    timeZone: await reader.timeZone(domain),
    now: Date.now(),
  });
  const scope = domainScope(domain);
  const resolved = await resolvePlan(plan, reader, { scope, maxRelatedCases, query });
  return (await reader.ids(and(scope, resolved), maxRelatedCases)).sort();
}

/** The ids of the live cases for which a SQL predicate over `c` (a row of the fixture table) holds. */
async function expected(predicate: string): Promise<string[]> {
  const sql = `SET search_path TO "${schema}", "${extensionSchema}", public;
    SELECT case_id FROM cases c WHERE NOT c.deleted AND (${predicate}) ORDER BY case_id`;
  const rows = await db.task((t) => t.multi<{ case_id: string }>(sql));
  return rows[1]!.map((r) => r.case_id).sort();
}

const prop = (name: string) => `(c.properties->>'${name}')`;
const num = (name: string) =>
  `(CASE WHEN ${prop(name)} ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN ${prop(name)}::numeric END)`;
const date = (name: string) =>
  `(CASE WHEN ${prop(name)} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN ${prop(name)}::date END)`;
const words = (name: string) => `regexp_split_to_array(lower(coalesce(${prop(name)}, '')), '[^a-z0-9]+')`;
const local = (column: string) => `((c.${column} AT TIME ZONE '${timeZone}')::date)`;
const child = (where: string) =>
  `(SELECT count(*) FROM cases s WHERE NOT s.deleted AND s.parent_id = c.case_id AND (${where}))`;
const haversineKm = (lat: number, lon: number) =>
  `(2 * 6371.0088 * asin(sqrt(power(sin(radians((split_part(${prop('gps')}, ' ', 1)::float8 - ${lat}) / 2)), 2) +
     cos(radians(${lat})) * cos(radians(split_part(${prop('gps')}, ' ', 1)::float8)) *
     power(sin(radians((split_part(${prop('gps')}, ' ', 2)::float8 - ${lon}) / 2)), 2))))`;

const cases_: [string, string][] = [
  ["name = 'Amina'", "c.name = 'Amina'"],
  ["first_name = 'Grace'", `${prop('first_name')} = 'Grace'`],
  ["first_name != 'Grace'", `${prop('first_name')} IS DISTINCT FROM 'Grace'`],
  ["@case_type = 'household' and @owner_id = 'u1'", "c.case_type = 'household' AND c.owner_id = 'u1'"],
  ["@status = 'closed'", 'c.closed'],
  ['age > 60', `${num('age')} > 60`],
  ["age <= '5'", `${num('age')} <= 5`],
  ['age >= 18 and age < 30', `${num('age')} >= 18 AND ${num('age')} < 30`],
  ["age = ''", `coalesce(${prop('age')}, '') = ''`],
  ["age != ''", `coalesce(${prop('age')}, '') <> ''`],
  ["dob < '1960-01-01'", `${date('dob')} < '1960-01-01'`],
  ["dob >= date-add('1990-01-01', 'years', 10)", `${date('dob')} >= '2000-01-01'`],
  ['dob > date(7305)', `${date('dob')} > '1990-01-01'`],
  ['test_date <= today()', `${date('test_date')} <= (now() AT TIME ZONE '${timeZone}')::date`],
  ["test_date > date-add(date('2024-02-10'), 'weeks', 1)", `${date('test_date')} > '2024-02-17'`],
  ["last_modified = '2024-03-11'", `${local('modified_on')} = '2024-03-11'`],
  ["date_opened > '2024-03-10'", `${local('opened_on')} > '2024-03-10'`],
  ["date_opened <= '2024-03-10'", `${local('opened_on')} <= '2024-03-10'`],
  ["selected(tags, 'red')", `'red' = ANY(${words('tags')})`],
  ["selected-any(tags, 'red green')", `${words('tags')} && ARRAY['red', 'green']`],
  ["selected-all(tags, 'red blue')", `${words('tags')} @> ARRAY['red', 'blue']`],
  [`selected-any(tags, unwrap-list('["blue"]'))`, `'blue' = ANY(${words('tags')})`],
  ["starts-with(first_name, 'Ami')", `${prop('first_name')} LIKE 'Ami%'`],
  [
    "fuzzy-match(first_name, 'amina')",
    `EXISTS (SELECT 1 FROM unnest(${words('first_name')}) w WHERE levenshtein(w, 'amina') <= 1)`,
  ],
  [
    "phonetic-match(first_name, 'Amina')",
    `EXISTS (SELECT 1 FROM unnest(${words('first_name')}) w WHERE w <> '' AND soundex(w) = soundex('Amina'))`,
  ],
  [
    "within-distance(gps, '-0.1 34.27', 10, 'kilometers')",
    `${prop('gps')} IS NOT NULL AND ${haversineKm(-0.1, 34.27)} <= 10`,
  ],
  [
    "within-distance(gps, '-0.1 34.27', 5, 'miles')",
    `${prop('gps')} IS NOT NULL AND ${haversineKm(-0.1, 34.27)} <= 5 * 1.609344`,
  ],
  [
    "subcase-exists('parent', @case_type = 'lab' and result = 'positive')",
    `${child("s.case_type = 'lab' AND s.properties->>'result' = 'positive'")} > 0`,
  ],
  ["subcase-exists('parent')", `${child('true')} > 0`],
  ["subcase-count('parent') > 2", `${child('true')} > 2`],
  [
    "subcase-count('parent', result = 'positive') >= 1",
    `${child("s.properties->>'result' = 'positive'")} >= 1`,
  ],
  ["subcase-count('parent') = 0", `${child('true')} = 0`],
  ["subcase-count('parent') < 2", `${child('true')} < 2`],
  ["subcase-count('parent') != 1", `${child('true')} <> 1`],
  [
    "parent/village = 'Bondo'",
    "c.parent_id IN (SELECT case_id FROM cases p WHERE NOT p.deleted AND p.properties->>'village' = 'Bondo')",
  ],
  [
    "parent/parent/village = 'Bondo'",
    "c.parent_id IN (SELECT m.case_id FROM cases m JOIN cases h ON h.case_id = m.parent_id WHERE NOT m.deleted AND NOT h.deleted AND h.properties->>'village' = 'Bondo')",
  ],
  [
    "host/village = 'Siaya'",
    "c.host_id IN (SELECT case_id FROM cases p WHERE NOT p.deleted AND p.properties->>'village' = 'Siaya')",
  ],
  [
    'ancestor-exists(parent, age > 60)',
    `c.parent_id IN (SELECT case_id FROM cases p WHERE NOT p.deleted AND ${num('age').replaceAll('c.', 'p.')} > 60)`,
  ],
  [
    "ancestor-exists(parent/parent, @case_id = 'h3')",
    "c.parent_id IN (SELECT case_id FROM cases m WHERE NOT m.deleted AND m.parent_id = 'h3')",
  ],
  [
    "not(selected(tags, 'red')) and (age > 30 or first_name = 'Grace')",
    `NOT ('red' = ANY(${words('tags')})) AND (${num('age')} > 30 OR ${prop('first_name')} = 'Grace')`,
  ],
  ['match-all()', 'true'],
  ['match-none()', 'false'],
];

describe('case search on a fixture domain, against expectations computed in PostgreSQL', () => {
  it.each(cases_)('%s', async (query, predicate) => {
    const want = await expected(predicate);
    const got = await searched(query);
    expect(got).toEqual(want);
  });

  it('finds enough cases for each expectation to mean something', async () => {
    // A query whose expectation is empty (or everything) would pass without testing much.
    const sizes = await Promise.all(cases_.slice(0, -2).map(([, predicate]) => expected(predicate)));
    for (const [i, ids] of sizes.entries()) {
      expect(ids.length, cases_[i]![0]).toBeGreaterThan(0);
      expect(ids.length, cases_[i]![0]).toBeLessThan(cases.length - 1);
    }
  });
});
