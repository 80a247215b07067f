/**
 * The `ucr-eval` scenario: documents/s and rows/s of UCR data sources compiled into closures
 * (`compileDataSource`) next to a straightforward recursive interpreter of the same JSON
 * (bench/ucr-interpreter.ts), same run, same documents. Data sources: the three shipped ones
 * (pipelines/ucr/) over demo documents, and two realistic generated ones over the benchmark's
 * follow-up visit forms and household-member cases (bench/documents.ts, turned into CommCare docs):
 * about 20 indicators each, named expressions and filters, a repeat base item, an evaluator, and a
 * related_doc lookup served from an in-memory UcrLookups. One call evaluates one document; the
 * figures are single-core. Ratios compiled / interpreted round by round (above 1 favours compiled).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { UcrLookups } from '../commcare/ucr/contract.js';
import { caseEventToDoc, compileDataSource, formEventToDoc } from '../commcare/ucr/index.js';
import { draw, followUpVisitForm, householdMemberCase } from './documents.js';
import { measureRoundsWithCpu, round, type MeasureOptions } from './measure.js';
import type { Figure, Ratio, ScenarioResult } from './scenario-result.js';
import { figure, ratioOf } from './spread.js';
import { UcrInterpreter } from './ucr-interpreter.js';

type Doc = Record<string, unknown>;

const prop = (name: string, datatype?: string) => ({
  type: 'property_name',
  property_name: name,
  ...(datatype ? { datatype } : {}),
});
const path = (p: string[], datatype?: string) => ({
  type: 'property_path',
  property_path: p,
  ...(datatype ? { datatype } : {}),
});
const eq = (expression: unknown, value: unknown) => ({
  type: 'boolean_expression',
  expression,
  operator: 'eq',
  property_value: value,
});
const col = (id: string, datatype: string, expression: unknown) => ({
  type: 'expression',
  column_id: id,
  datatype,
  expression,
});
const flag = (id: string, filter: unknown) => ({ type: 'boolean', column_id: id, filter });

const visitXmlns = 'http://openrosa.org/formdesigner/8F3C1B2E-6A4D-4E4B-9C1F-1D2E3F4A5B6C';

/** One row per child in the visit's repeat group, with visit, vitals and the member case's data. */
export const childVisitsDataSource = {
  domain: 'kenya-chw',
  referenced_doc_type: 'XFormInstance',
  table_id: 'bench_child_visits',
  configured_filter: {
    type: 'and',
    filters: [eq(prop('xmlns'), visitXmlns), { type: 'named', name: 'consented' }],
  },
  named_filters: { consented: eq(path(['form', 'visit', 'consent']), 'yes') },
  named_expressions: {
    visit: { type: 'root_doc', expression: path(['form', 'visit']) },
    vitals: { type: 'root_doc', expression: path(['form', 'vitals']) },
    case_id: { type: 'root_doc', expression: path(['form', 'case', '@case_id']) },
  },
  base_item_expression: path(['form', 'children']),
  configured_indicators: [
    col('child_name', 'string', prop('child_name')),
    col('child_dob', 'date', prop('child_dob')),
    col('child_sex', 'string', prop('child_sex')),
    flag('immunized', eq(prop('immunization_up_to_date'), 'yes')),
    col('muac_cm', 'decimal', prop('child_muac_cm')),
    col('weight_kg', 'decimal', prop('child_weight_kg')),
    flag('ill', eq(prop('illness_last_2_weeks'), 'yes')),
    flag('referred', eq(prop('child_referred'), 'yes')),
    col('visit_date', 'date', {
      type: 'nested',
      argument_expression: { type: 'named', name: 'visit' },
      value_expression: prop('visit_date'),
    }),
    col('visit_type', 'string', {
      type: 'nested',
      argument_expression: { type: 'named', name: 'visit' },
      value_expression: prop('visit_type'),
    }),
    col('visit_number', 'integer', {
      type: 'nested',
      argument_expression: { type: 'named', name: 'visit' },
      value_expression: prop('visit_number'),
    }),
    col('temperature', 'decimal', {
      type: 'nested',
      argument_expression: { type: 'named', name: 'vitals' },
      value_expression: prop('temperature'),
    }),
    col('pulse', 'integer', {
      type: 'nested',
      argument_expression: { type: 'named', name: 'vitals' },
      value_expression: prop('pulse'),
    }),
    flag('fever', eq({ type: 'root_doc', expression: path(['form', 'symptoms', 'fever']) }, 'yes')),
    col('danger', 'string', {
      type: 'switch',
      switch_on: { type: 'root_doc', expression: path(['form', 'symptoms', 'danger_signs']) },
      cases: { none: 'no' },
      default: 'yes',
    }),
    col('case_id', 'string', { type: 'named', name: 'case_id' }),
    col('user_id', 'string', { type: 'root_doc', expression: path(['form', 'meta', 'userID']) }),
    col('received_on', 'datetime', { type: 'root_doc', expression: prop('received_on') }),
    col('member_village', 'string', {
      type: 'related_doc',
      related_doc_type: 'CommCareCase',
      doc_id_expression: { type: 'named', name: 'case_id' },
      value_expression: prop('village'),
    }),
    col('member_risk', 'string', {
      type: 'coalesce',
      expression: {
        type: 'related_doc',
        related_doc_type: 'CommCareCase',
        doc_id_expression: { type: 'named', name: 'case_id' },
        value_expression: prop('risk_level'),
      },
      default_expression: 'unknown',
    }),
    col('weight_for_muac', 'decimal', {
      type: 'evaluator',
      statement: 'w / m',
      context_variables: { w: prop('child_weight_kg', 'decimal'), m: prop('child_muac_cm', 'decimal') },
    }),
    { type: 'count', column_id: 'count' },
  ],
};

/** One row per household member case, with its household's village through the parent index. */
export const membersDataSource = {
  domain: 'kenya-chw',
  referenced_doc_type: 'CommCareCase',
  table_id: 'bench_members',
  configured_filter: eq(prop('type'), 'household_member'),
  named_expressions: {
    household: {
      type: 'related_doc',
      related_doc_type: 'CommCareCase',
      doc_id_expression: prop('household_id'),
      value_expression: { type: 'identity' },
    },
  },
  configured_indicators: [
    col('first_name', 'string', prop('first_name')),
    col('last_name', 'string', prop('last_name')),
    col('dob', 'date', prop('dob')),
    col('sex', 'string', prop('sex')),
    col('village', 'string', prop('village')),
    flag('household_head', eq(prop('household_head'), 'yes')),
    col('enrolled_on', 'date', prop('enrolled_on')),
    col('hiv_status', 'string', prop('hiv_status')),
    col('viral_load', 'integer', prop('viral_load')),
    col('viral_load_date', 'date', prop('viral_load_date')),
    flag('pregnant', eq(prop('pregnant'), 'yes')),
    col('last_visit_date', 'date', prop('last_visit_date')),
    col('visit_count', 'integer', prop('visit_count')),
    col('last_temperature', 'decimal', prop('last_temperature')),
    col('last_weight_kg', 'decimal', prop('last_weight_kg')),
    col('risk_level', 'string', prop('risk_level')),
    col('missed_visits', 'integer', prop('missed_visits')),
    col('opened_on', 'datetime', prop('opened_on')),
    col('owner_id', 'string', prop('owner_id')),
    flag('closed', eq(prop('closed'), true)),
    col('household_water', 'string', {
      type: 'nested',
      argument_expression: { type: 'named', name: 'household' },
      value_expression: prop('water_source'),
    }),
    { type: 'count', column_id: 'count' },
  ],
};

function loadShipped(name: string): Doc {
  // From bench/ when run from source, from dist/bench/ when built.
  const source = new URL(`../pipelines/ucr/${name}`, import.meta.url);
  const file = existsSync(source) ? source : new URL(`../../pipelines/ucr/${name}`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as Doc;
}

function demoDocs(count: number): { households: Doc[]; visits: Doc[]; cases: Doc[] } {
  const households: Doc[] = [];
  const visits: Doc[] = [];
  const cases: Doc[] = [];
  for (let i = 0; i < count; i++) {
    const d = draw(i + 7);
    const household: Doc = {
      _id: d.id(),
      doc_type: 'CommCareCase',
      domain: 'demo',
      type: 'household',
      name: `household ${i}`,
      owner_id: `owner-${d.int(1, 20)}`,
      opened_on: `${d.date(Date.UTC(2026, 0, 1), 300)}T08:00:00.000000Z`,
      closed: d.int(0, 9) === 0,
      village: d.pick(['Kasese', 'Bwera', 'Mpondwe']),
      household_size: String(d.int(1, 11)),
      head_name: d.pick(['Amina', 'Baraka', 'Neema']),
    };
    households.push(household);
    cases.push(household, { ...household, _id: d.id(), type: 'member', closed: d.int(0, 4) === 0 });
    visits.push({
      _id: d.id(),
      doc_type: 'XFormInstance',
      domain: 'demo',
      xmlns: 'http://tributary.dev/demo/followup-visit',
      received_on: '2026-11-20T10:00:00.000000Z',
      form: {
        '@xmlns': 'http://tributary.dev/demo/followup-visit',
        visit_date: d.date(Date.UTC(2026, 0, 1), 300),
        temperature: d.decimal(35.8, 39.5, 1),
        case: { '@case_id': d.id() },
        meta: { userID: d.id(), instanceID: d.id() },
        medications: {
          medication: Array.from({ length: d.int(1, 4) }, () => ({
            name: d.pick(['Amoxicillin', 'Paracetamol', 'Zinc', 'ORS']),
            dose_mg: d.decimal(5, 500, 1),
            taken: d.pick(['yes', 'no']),
          })),
        },
      },
    });
  }
  return { households, visits, cases };
}

interface Workload {
  name: string;
  config: Doc;
  docs: Doc[];
  lookups: UcrLookups;
}

const noLookups: UcrLookups = { get: () => null };

function realisticWorkloads(count: number): Workload[] {
  const related = new Map<string, Doc>();
  const lookups: UcrLookups = { get: (key) => related.get(key.id) ?? null };
  const forms = Array.from({ length: count }, (_, i) => formEventToDoc(followUpVisitForm(i + 1)));
  forms.forEach((form, i) => {
    const caseId = ((form.form as Doc).case as Doc)['@case_id'] as string;
    related.set(caseId, { ...caseEventToDoc(householdMemberCase(i + 1)), _id: caseId });
  });
  const cases = Array.from({ length: count }, (_, i) => caseEventToDoc(householdMemberCase(count + i + 1)));
  cases.forEach((c, i) => {
    related.set(c.household_id as string, {
      _id: c.household_id,
      domain: 'kenya-chw',
      doc_type: 'CommCareCase',
      type: 'household',
      water_source: ['piped', 'river'][i % 2],
    });
  });
  return [
    { name: 'childVisits', config: childVisitsDataSource, docs: forms, lookups },
    { name: 'members', config: membersDataSource, docs: cases, lookups },
  ];
}

export async function ucrEvalScenario(options: {
  quick: boolean;
  log: (s: string) => void;
}): Promise<ScenarioResult> {
  const started = performance.now();
  const measureOptions: MeasureOptions = {
    roundMs: Number(process.env.BENCH_ROUND_MS ?? (options.quick ? 100 : 300)),
    rounds: options.quick ? 3 : 5,
  };
  const count = options.quick ? 128 : 512;
  const demo = demoDocs(count);
  const workloads: Workload[] = [
    {
      name: 'householdRegister',
      config: loadShipped('household-register.json'),
      docs: demo.households,
      lookups: noLookups,
    },
    {
      name: 'visitMedications',
      config: loadShipped('visit-medications.json'),
      docs: demo.visits,
      lookups: noLookups,
    },
    {
      name: 'openCasesByOwner',
      config: loadShipped('open-cases-by-owner.json'),
      docs: demo.cases,
      lookups: noLookups,
    },
    ...realisticWorkloads(count),
  ];
  const figures: Record<string, Figure> = {};
  const ratios: Record<string, Ratio> = {};
  const setup: Record<string, unknown> = { documentsPerWorkload: count, ...measureOptions };
  const cpuSecondsPer100k: Record<string, number> = {};
  for (const w of workloads) {
    const compileStart = performance.now();
    const compiled = compileDataSource(w.config);
    const compileMs = performance.now() - compileStart;
    const interpreter = new UcrInterpreter(w.config);
    let rows = 0;
    let matched = 0;
    for (const doc of w.docs) {
      const result = compiled.evaluate(doc, w.lookups);
      if (result.status !== 'rows') throw new Error(`${w.name}: lookups missing in the benchmark`);
      const baseline = interpreter.rows(doc, w.lookups);
      if (JSON.stringify(result.matched ? result.rows : null) !== JSON.stringify(baseline)) {
        throw new Error(
          `${w.name}: the interpreter and the compiled data source disagree on ${String(doc._id)}`,
        );
      }
      rows += result.rows.length;
      if (result.matched) matched++;
    }
    const rowsPerDocument = rows / w.docs.length;
    const n = w.docs.length;
    const measured = await measureRoundsWithCpu(
      {
        compiled: (i) => compiled.evaluate(w.docs[i % n], w.lookups),
        interpreted: (i) => interpreter.rows(w.docs[i % n], w.lookups),
      },
      measureOptions,
    );
    const perRound = measured.wall;
    for (const kind of ['compiled', 'interpreted'] as const) {
      figures[`${w.name}.${kind}.documentsPerSecond`] = figure(perRound[kind], 'documents/s');
      // Per second of CPU time: what one core does, whatever else the machine runs meanwhile.
      figures[`${w.name}.${kind}.documentsPerCpuSecond`] = figure(measured.cpu[kind], 'documents/CPU s');
      if (kind === 'compiled')
        cpuSecondsPer100k[w.name] = round(
          100_000 / figures[`${w.name}.${kind}.documentsPerCpuSecond`]!.median,
        );
      figures[`${w.name}.${kind}.rowsPerSecond`] = figure(
        perRound[kind].map((v) => v * rowsPerDocument),
        'rows/s',
      );
    }
    ratios[`${w.name}.compiledToInterpreted`] = ratioOf(
      perRound.compiled,
      perRound.interpreted,
      `${w.name}.compiled`,
      `${w.name}.interpreted`,
    );
    setup[w.name] = {
      indicators: (w.config.configured_indicators as unknown[]).length,
      columns: compiled.columns.length,
      matchedShare: round(matched / n),
      rowsPerDocument: round(rowsPerDocument),
      compileMs: round(compileMs),
    };
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    options.log(
      `ucr-eval: ${w.name}: compiled ${round(median(perRound.compiled))} docs/s, interpreted ${round(median(perRound.interpreted))} docs/s, ${round(rowsPerDocument)} rows/doc`,
    );
  }
  return {
    scenario: 'ucr-eval',
    figures,
    ratios,
    peakRssMiB: {},
    headline: workloads.map((w) => `${w.name}.compiled.documentsPerSecond`),
    cpuSecondsPer100k,
    seconds: round((performance.now() - started) / 1000),
    setup,
    details: {
      note: 'One document per call through CompiledDataSource.evaluate versus a recursive interpreter of the same JSON (bench/ucr-interpreter.ts) that reuses the value functions; both give the same rows (checked before timing). Single core.',
    },
  };
}
