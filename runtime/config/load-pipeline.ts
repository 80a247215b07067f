/**
 * Pipeline YAML → a validated, typed, frozen plan. Every problem in a file is reported at once,
 * each with its line, column and path, and what was expected: the YAML, the file's shape, each
 * component's config (from its spec), then the references between them.
 */
import { readFile } from 'node:fs/promises';
import { isPair, LineCounter, parse as parseYamlValue, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import {
  referencesOf,
  type ComponentKind,
  type ComponentSpec,
  type ProcessorSpec,
  type Reference,
  type ResourceSpec,
  type SinkSpec,
  type SourceSpec,
} from '../contract/index.js';
import type { Registry } from '../registry/index.js';
import { checkReferences, type ParsedPart } from './check-references.js';
import { interpolate, MissingVariableError, hasReference } from './interpolate.js';
import { applyOverrides, type ConfigOverride } from './overrides.js';
import { pipelineFileSchema, type DeadLetterConfig, type Delivery } from './pipeline-schema.js';
import { formatPath, YamlLocator, type PathSegment } from './yaml-locator.js';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  /** Dotted path inside the file, e.g. `sinks.table.batchSize`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  return `${problem.file}:${problem.line}:${problem.col} ${problem.path || '(file)'}: ${problem.message}`;
}

export interface ComponentPlan<S> {
  type: string;
  spec: S;
  /** The spec's parsed config, defaults applied. */
  config: unknown;
  /** Path of the component in the file, for messages. */
  path: string;
}

export interface PipelinePlan {
  name: string;
  file: string;
  description?: string;
  /** Declared resources by name, in the order of the file. */
  resources: Record<string, ComponentPlan<ResourceSpec>>;
  source: ComponentPlan<SourceSpec>;
  processors: ComponentPlan<ProcessorSpec>[];
  sinks: Record<string, ComponentPlan<SinkSpec>>;
  delivery: Delivery;
  deadLetter: DeadLetterConfig & { topic: string };
}

export type LoadResult = { ok: true; plan: PipelinePlan } | { ok: false; problems: ConfigProblem[] };

export interface LoadOptions {
  /** `--set path=value` overrides, applied after interpolation and before validation. */
  overrides?: readonly ConfigOverride[];
}

/** Collects problems with their positions in one file. */
class Problems {
  readonly list: ConfigProblem[] = [];
  locate: YamlLocator | undefined;

  constructor(private readonly file: string) {}

  at(path: readonly PathSegment[], message: string, key?: string): void {
    const { line, col } = this.locate?.at(path, key) ?? { line: 1, col: 1 };
    this.list.push({
      file: this.file,
      line,
      col,
      path: formatPath(key === undefined ? path : [...path, key]),
      message,
    });
  }

  push(line: number, col: number, path: string, message: string): void {
    this.list.push({ file: this.file, line, col, path, message });
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** Zod's messages are terse; say what was expected in the words of a config file. */
function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === 'invalid_type' && valueAt(root, issue.path) === undefined)
    return `is required (expected ${issue.expected})`;
  return issue.message.replace(/^Invalid (input|option): /, '');
}

/** What a missing reference field must name, in the words of a pipeline file. */
function describeMissingReference(reference: Reference): string {
  return reference.kind === 'resource'
    ? `is required: the name of a ${reference.type} resource declared under resources:`
    : `is required: the name of a ${reference.types.join(' or ')} sink of this pipeline`;
}

/** Reports zod issues under `at`, naming unknown keys one by one (and where a moved key went). */
function reportIssues(
  problems: Problems,
  issues: readonly z.core.$ZodIssue[],
  at: readonly PathSegment[],
  root: unknown,
  unknownKey: string,
  spec?: ComponentSpec,
): void {
  const references = new Map(spec ? referencesOf(spec.config) : []);
  for (const issue of issues) {
    const path = [...at, ...(issue.path as PathSegment[])];
    const field = issue.path.length === 1 ? String(issue.path[0]) : undefined;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const moved = spec?.movedKeys?.[key];
        problems.at(path, moved ? `${unknownKey}: ${moved}` : unknownKey, key);
      }
    } else if (field && references.has(field) && valueAt(root, issue.path) === undefined) {
      problems.at(path, describeMissingReference(references.get(field)!));
    } else {
      problems.at(path, describeIssue(issue, root));
    }
  }
}

export async function loadPipelineFile(
  file: string,
  registry: Registry,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [
        { file, line: 1, col: 1, path: '', message: `cannot read the file: ${(error as Error).message}` },
      ],
    };
  }
  return loadPipelineText(text, file, registry, env, options);
}

/** Replaces `${VAR}` references inside scalars, so every position still points into the file as written. */
function interpolateScalars(doc: Document, lines: LineCounter, env: NodeJS.ProcessEnv, problems: Problems) {
  visit(doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'string' || !hasReference(node.value)) return;
      try {
        const replaced = interpolate(node.value, env);
        // An unquoted `${PORT}` becomes whatever the value reads as in YAML (a number here).
        node.value = node.type === 'PLAIN' ? (parseYamlValue(replaced) as unknown) : replaced;
      } catch (error) {
        if (!(error instanceof MissingVariableError)) throw error;
        const { line, col } = lines.linePos(node.range?.[0] ?? 0);
        const keys = path.filter(isPair).map((pair) => String((pair.key as { value?: unknown }).value));
        problems.push(line, col, keys.join('.'), error.message);
      }
    },
  });
}

/** One component reference of the file, parsed by its spec; undefined (with problems) when it cannot be. */
function parseComponent(
  registry: Registry,
  problems: Problems,
  kind: ComponentKind,
  ref: unknown,
  path: PathSegment[],
): ParsedPart | undefined {
  // Malformed references were reported by the file schema; look inside the rest.
  if (!ref || typeof ref !== 'object' || typeof (ref as { type?: unknown }).type !== 'string')
    return undefined;
  const { type, ...config } = ref as { type: string } & Record<string, unknown>;
  const spec: ComponentSpec | undefined = registry[kind](type);
  if (!spec) {
    const suggestion = registry.suggest(kind, type);
    problems.at(
      [...path, 'type'],
      `unknown ${kind} type '${type}'; ${suggestion ? `did you mean '${suggestion}'?` : `known: ${registry.names(kind).join(', ') || 'none'}`}`,
    );
    return undefined;
  }
  const parsed = spec.config.strict().safeParse(config);
  if (!parsed.success) {
    reportIssues(problems, parsed.error.issues, path, config, `unknown key for ${kind} '${spec.name}'`, spec);
    return undefined;
  }
  return { path, type, spec, config: parsed.data };
}

const entriesOf = (value: unknown): [string, unknown][] =>
  value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];

/** Every component of the file, parsed; the ones that could not be are undefined. */
function parseComponents(raw: Record<string, unknown>, registry: Registry, problems: Problems) {
  const parse = (kind: ComponentKind, ref: unknown, path: PathSegment[]) =>
    parseComponent(registry, problems, kind, ref, path);
  return {
    resources: entriesOf(raw.resources).map(
      ([name, ref]) => [name, parse('resource', ref, ['resources', name])] as const,
    ),
    source: parse('source', raw.source, ['source']),
    processors: Array.isArray(raw.processors)
      ? raw.processors.map((ref, i) => parse('processor', ref, ['processors', i]))
      : [],
    sinks: entriesOf(raw.sinks).map(([name, ref]) => [name, parse('sink', ref, ['sinks', name])] as const),
  };
}

const planOf = <S>(part: ParsedPart): ComponentPlan<S> => ({
  type: part.type,
  spec: part.spec as S,
  config: part.config,
  path: formatPath(part.path),
});

export function loadPipelineText(
  text: string,
  file: string,
  registry: Registry,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const problems = new Problems(file);
  problems.locate = new YamlLocator(doc, lines);
  for (const error of doc.errors) {
    const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    problems.push(pos.line, pos.col, '', `YAML syntax: ${message}`);
  }
  if (problems.list.length) return { ok: false, problems: problems.list };
  interpolateScalars(doc, lines, env, problems);
  for (const message of applyOverrides(doc, options.overrides ?? [])) problems.push(1, 1, '', message);
  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  const top = pipelineFileSchema.safeParse(raw);
  if (!top.success) reportIssues(problems, top.error.issues, [], raw, 'unknown key');
  const parts = parseComponents(raw, registry, problems);
  const all = [
    ...parts.resources.map(([, part]) => part),
    parts.source,
    ...parts.processors,
    ...parts.sinks.map(([, part]) => part),
  ];
  if (all.every((part) => part !== undefined))
    checkReferences(all, (path, message) => problems.at(path, message));
  problems.list.sort((a, b) => a.line - b.line || a.col - b.col);
  if (problems.list.length || !parts.source || !top.success) return { ok: false, problems: problems.list };
  const file0 = top.data;
  const plan: PipelinePlan = {
    name: file0.name,
    file,
    ...(file0.description === undefined ? {} : { description: file0.description }),
    resources: Object.fromEntries(parts.resources.map(([name, part]) => [name, planOf<ResourceSpec>(part!)])),
    source: planOf<SourceSpec>(parts.source),
    processors: parts.processors.map((part) => planOf<ProcessorSpec>(part!)),
    sinks: Object.fromEntries(parts.sinks.map(([name, part]) => [name, planOf<SinkSpec>(part!)])),
    delivery: file0.delivery,
    deadLetter: { ...file0.deadLetter, topic: file0.deadLetter.topic ?? `${file0.name}.dead-letter` },
  };
  return { ok: true, plan: freezePlan(plan) };
}

/** Freezes the plan and every config in it, but not the specs (zod schemas keep internal caches). */
function freezePlan(plan: PipelinePlan): PipelinePlan {
  const deepFreeze = (value: unknown): void => {
    if (value && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const child of Object.values(value)) deepFreeze(child);
    }
  };
  const components = [
    ...Object.values(plan.resources),
    plan.source,
    ...plan.processors,
    ...Object.values(plan.sinks),
  ];
  for (const component of components) {
    deepFreeze(component.config);
    Object.freeze(component);
  }
  deepFreeze(plan.delivery);
  deepFreeze(plan.deadLetter);
  Object.freeze(plan.resources);
  Object.freeze(plan.processors);
  Object.freeze(plan.sinks);
  return Object.freeze(plan);
}
