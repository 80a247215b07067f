/**
 * `pipeline: <file.yaml>`: input records (as the source would deliver them) go through the
 * pipeline's own processors, offline; each sink is replaced by one that keeps what it receives, and
 * the test compares that, sink by sink, and the dead letters, with `expect`.
 */
import { z } from 'zod';
import { memorySource } from '../../connectors/memory/memory-source.js';
import {
  formatProblem,
  loadPipelineFile,
  parseOverride,
  type PipelinePlan,
} from '../../runtime/config/index.js';
import type { DeadLetter, SourceRecord } from '../../runtime/contract/index.js';
import { PipelineRunner } from '../../runtime/engine/pipeline-runner.js';
import { ResourcePool } from '../../runtime/engine/resources.js';
import { silentLogger } from '../../runtime/telemetry/logger.js';
import { PipelineMetrics } from '../../runtime/telemetry/metrics.js';
import { captureSink, type CapturedRecord } from './capture-sink.js';
import { compareValues, type Difference, type Path } from './compare.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { needsOfflineSearch, offlineSearchResources } from './offline-search.js';
import { needsOfflineUcr, offlineUcrResources } from './offline-ucr.js';
import { parseSection, readJsonInputs, TestFileError, type TestFile } from './test-file.js';
import type { CaseOutcome, SubjectInput, TestSubject } from './test-subject.js';

const routing = z
  .object({
    sink: z.string().optional(),
    target: z.string().optional(),
    op: z.enum(['upsert', 'delete']).optional(),
    version: z.union([z.number(), z.string()]).optional(),
  })
  .strict();

const inputRecord = z
  .object({
    key: z.string().nullable().default(null).describe('The record key.'),
    value: z.unknown().describe('The decoded value, as the source delivers it.'),
    headers: z.record(z.string(), z.string()).default({}),
    routing: routing
      .optional()
      .describe('Routing a source sets (CouchDB and outbox sources name the topic).'),
    timestamp: z.string().default('2026-01-01T00:00:00Z').describe('ISO time of the record.'),
  })
  .strict();

const expectedRecord = z
  .object({
    key: z.string().nullable(),
    value: z.unknown(),
    routing: routing.optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const expectedDeadLetter = z
  .object({
    key: z.string().nullable(),
    stage: z.string().describe('e.g. processor[0]:ucr, sink:out, decode, route.'),
    error: z.string().optional().describe('Text the error message contains.'),
  })
  .strict();

const pipelineCase = z
  .object({
    name: z.string().min(1),
    input: z.array(inputRecord).optional(),
    inputFile: z.string().optional().describe('JSON lines of input records, relative to the test file.'),
    lookups: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('For a ucr stage: `<kind>/<id>` → document.'),
    expect: z
      .record(z.string(), z.array(z.unknown()))
      .describe('Sink name → records; deadLetters → dead letters.'),
  })
  .strict();

export const pipelineSubject: TestSubject = {
  key: 'pipeline',
  summary: 'A pipeline file: input records → what each sink receives, and the dead letters.',
  async run({ test, file, env, set, registry }: SubjectInput): Promise<CaseOutcome[]> {
    const loaded = await loadPipelineFile(file, registry, env, { overrides: set.map(parseOverride) });
    if (!loaded.ok) throw new TestFileError(loaded.problems.map(formatProblem).join('\n'));
    const cases = parseSection(test, z.array(pipelineCase).min(1), test.data.tests, ['tests']);
    const outcomes: CaseOutcome[] = [];
    for (const [i, testCase] of cases.entries())
      outcomes.push(await runCase(test, loaded.plan, testCase, ['tests', i]));
    return outcomes;
  },
};

type PipelineCase = z.output<typeof pipelineCase>;

async function runCase(
  test: TestFile,
  plan: PipelinePlan,
  testCase: PipelineCase,
  at: Path,
): Promise<CaseOutcome> {
  const inputs = await inputsOf(test, testCase, at);
  const captured = new Map<string, CapturedRecord[]>(Object.keys(plan.sinks).map((name) => [name, []]));
  const letters: DeadLetter[] = [];
  const declared = needsOfflineUcr(plan) ? await offlineUcrResources(plan, testCase.lookups) : plan.resources;
  const offline: PipelinePlan = {
    ...plan,
    resources: needsOfflineSearch(plan) ? await offlineSearchResources(declared) : declared,
    source: {
      type: 'memory',
      spec: memorySource,
      config: { stream: 'test', lanes: 1, follow: false },
      path: 'source',
    },
    sinks: Object.fromEntries(
      Object.entries(plan.sinks).map(([name, sink]) => [
        name,
        { ...sink, spec: captureSink(name, captured.get(name)!), config: {} },
      ]),
    ),
  };
  const resources = new ResourcePool();
  try {
    const runner = await PipelineRunner.create(
      offline,
      {
        logger: silentLogger,
        metrics: new PipelineMetrics(),
        resources,
        // Nothing offline connects; the endpoints are there because every context carries them.
        endpoints: readEndpoints(),
        deadLetters: {
          write: (batch) => {
            letters.push(...batch);
            return Promise.resolve();
          },
        },
      },
      new AbortController().signal,
    );
    await runner.replay(inputs);
    await runner.stop();
  } finally {
    await resources.close();
  }
  return { name: testCase.name, differences: compareOutputs(test, testCase, captured, letters, at) };
}

async function inputsOf(test: TestFile, testCase: PipelineCase, at: Path): Promise<SourceRecord[]> {
  const listed = testCase.inputFile
    ? parseSection(
        test,
        z.array(inputRecord),
        await readJsonInputs(test, testCase.inputFile, [...at, 'inputFile']),
        [...at, 'inputFile'],
      )
    : (testCase.input ?? []);
  if (!testCase.input && !testCase.inputFile)
    throw new TestFileError(`${test.at(at)} tests: each test needs input: or inputFile:`);
  return listed.map((record, offset) => {
    const timestamp = Date.parse(record.timestamp);
    if (Number.isNaN(timestamp))
      throw new TestFileError(`${test.at([...at, 'input', offset, 'timestamp'])}: expected an ISO time`);
    const value = record.value ?? null;
    return {
      key: record.key,
      value,
      headers: record.headers,
      timestamp,
      ...(record.routing ? { routing: record.routing } : {}),
      position: { lane: '0', offset: String(offset) },
      raw: {
        key: record.key === null ? null : Buffer.from(record.key),
        value: Buffer.from(JSON.stringify(value)),
        headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)])),
      },
    };
  });
}

function compareOutputs(
  test: TestFile,
  testCase: PipelineCase,
  captured: Map<string, CapturedRecord[]>,
  letters: DeadLetter[],
  at: Path,
): Difference[] {
  const expectAt = [...at, 'expect'];
  const out: Difference[] = [];
  for (const name of Object.keys(testCase.expect)) {
    if (name !== 'deadLetters' && !captured.has(name))
      out.push({
        path: [...expectAt, name],
        message: `the pipeline has no sink named '${name}' (sinks: ${[...captured.keys()].join(', ')})`,
      });
  }
  for (const [name, records] of captured) {
    const expected = parseSection(test, z.array(expectedRecord), testCase.expect[name] ?? [], [
      ...expectAt,
      name,
    ]);
    // Compare only what the expectation states: routing (the fields given) and headers when given.
    const actual = records.map((r, i) => ({
      key: r.key,
      value: r.value,
      ...(expected[i]?.routing ? { routing: only(r.routing ?? {}, Object.keys(expected[i].routing)) } : {}),
      ...(expected[i]?.headers ? { headers: r.headers } : {}),
    }));
    out.push(...compareValues(expected, toJson(actual), [...expectAt, name]));
  }
  const expectedLetters = parseSection(test, z.array(expectedDeadLetter), testCase.expect.deadLetters ?? [], [
    ...expectAt,
    'deadLetters',
  ]);
  const actualLetters = letters.map((l, i) => {
    const wanted = expectedLetters[i]?.error;
    const matches = wanted !== undefined && l.message.includes(wanted);
    return {
      key: l.record.key,
      stage: l.stage,
      ...(wanted !== undefined ? { error: matches ? wanted : l.message } : {}),
    };
  });
  out.push(...compareValues(expectedLetters, actualLetters, [...expectAt, 'deadLetters']));
  return out;
}

/** What a sink would write, as plain JSON (bigints as text), so it compares with YAML values. */
const toJson = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
  ) as unknown;

const only = (value: object, keys: string[]) =>
  Object.fromEntries(Object.entries(value).filter(([key]) => keys.includes(key)));
