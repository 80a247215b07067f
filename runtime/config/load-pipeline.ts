/**
 * Pipeline YAML → a validated, typed, frozen plan. Every problem in a file is reported at once,
 * each with its line, column and path, and what was expected.
 */
import { readFile } from 'node:fs/promises';
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parse as parseYamlValue,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import type { ComponentKind, ProcessorSpec, SinkSpec, SourceSpec } from '../contract/index.js';
import type { Registry } from '../registry/index.js';
import { interpolate, MissingVariableError, hasReference } from './interpolate.js';
import { applyOverrides, type ConfigOverride } from './overrides.js';
import {
  pipelineFileSchema,
  type DeadLetterConfig,
  type Delivery,
  type Parallelism,
} from './pipeline-schema.js';

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
  source: ComponentPlan<SourceSpec>;
  processors: ComponentPlan<ProcessorSpec>[];
  sinks: Record<string, ComponentPlan<SinkSpec>>;
  delivery: Delivery;
  /** Records of different keys of one lane processed concurrently; absent: one chunk after another. */
  parallelism?: Parallelism;
  deadLetter: DeadLetterConfig & { topic: string };
}

export type LoadResult = { ok: true; plan: PipelinePlan } | { ok: false; problems: ConfigProblem[] };

export interface LoadOptions {
  /** `--set path=value` overrides, applied after interpolation and before validation. */
  overrides?: readonly ConfigOverride[];
}

type PathSegment = string | number;

const formatPath = (path: readonly PathSegment[]) =>
  path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Line and column of the deepest node on `path` that exists; for an unknown key, of that key. */
  at(path: readonly PathSegment[], key?: string): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = (node as YamlNode | null)?.range?.[0] ?? 0;
    // Where the current node is named: its key in the parent mapping (a missing field points there).
    let namedAt = offset;
    for (const segment of [...path, ...(key === undefined ? [] : [key])]) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
        );
        if (!pair) {
          offset = namedAt;
          break;
        }
        namedAt = offset = (pair.key as YamlNode).range?.[0] ?? offset;
        if (segment === key) break;
        node = pair.value;
        offset = (node as YamlNode | null)?.range?.[0] ?? offset;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
        node = node.items[segment];
        namedAt = offset = (node as YamlNode | null)?.range?.[0] ?? offset;
      } else {
        break;
      }
    }
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
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

export function loadPipelineText(
  text: string,
  file: string,
  registry: Registry,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const problems: ConfigProblem[] = [];
  const locate = new Locator(doc, lines);
  const report = (path: readonly PathSegment[], message: string, key?: string) => {
    const { line, col } = locate.at(path, key);
    problems.push({ file, line, col, path: formatPath(key === undefined ? path : [...path, key]), message });
  };

  for (const error of doc.errors) {
    const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
    problems.push({
      file,
      line: pos.line,
      col: pos.col,
      path: '',
      message: `YAML syntax: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    });
  }
  if (problems.length) return { ok: false, problems };

  // Interpolate inside scalars, so every position still points into the file as written.
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
        problems.push({ file, line, col, path: keys.join('.'), message: error.message });
      }
    },
  });

  for (const message of applyOverrides(doc, options.overrides ?? []))
    problems.push({ file, line: 1, col: 1, path: '', message });

  const raw: unknown = doc.toJS();
  const top = pipelineFileSchema.safeParse(raw ?? {});
  if (!top.success) {
    for (const issue of top.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) report(issue.path as PathSegment[], 'unknown key', key);
      } else {
        report(issue.path as PathSegment[], describeIssue(issue, raw ?? {}));
      }
    }
  }

  const component = <K extends ComponentKind>(
    kind: K,
    ref: unknown,
    path: PathSegment[],
  ):
    | ComponentPlan<K extends 'source' ? SourceSpec : K extends 'processor' ? ProcessorSpec : SinkSpec>
    | undefined => {
    // Malformed references were reported by the file schema above; look inside the rest.
    if (!ref || typeof ref !== 'object' || typeof (ref as { type?: unknown }).type !== 'string')
      return undefined;
    const { type, ...config } = ref as { type: string } & Record<string, unknown>;
    const spec = registry[kind](type);
    if (!spec) {
      const suggestion = registry.suggest(kind, type);
      report(
        [...path, 'type'],
        `unknown ${kind} type '${type}'; ${suggestion ? `did you mean '${suggestion}'?` : `known: ${registry.names(kind).join(', ')}`}`,
      );
      return undefined;
    }
    const parsed = spec.config.strict().safeParse(config);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const at = [...path, ...(issue.path as PathSegment[])];
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) report(at, `unknown key for ${kind} '${spec.name}'`, key);
        } else {
          report(at, describeIssue(issue, config));
        }
      }
      return undefined;
    }
    return { type, spec, config: parsed.data, path: formatPath(path) } as never;
  };

  const rawFile = (raw ?? {}) as { source?: unknown; processors?: unknown; sinks?: unknown };
  const source = component('source', rawFile.source, ['source']);
  const processors = Array.isArray(rawFile.processors)
    ? rawFile.processors.map((ref, i) => component('processor', ref, ['processors', i]))
    : [];
  const sinks =
    rawFile.sinks && typeof rawFile.sinks === 'object'
      ? Object.fromEntries(
          Object.entries(rawFile.sinks).map(([name, ref]) => [name, component('sink', ref, ['sinks', name])]),
        )
      : {};
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  if (problems.length || !source || !top.success) return { ok: false, problems };
  const file0 = top.data;

  const plan: PipelinePlan = {
    name: file0.name,
    file,
    ...(file0.description === undefined ? {} : { description: file0.description }),
    source,
    processors: processors as ComponentPlan<ProcessorSpec>[],
    sinks: sinks as Record<string, ComponentPlan<SinkSpec>>,
    delivery: file0.delivery,
    ...(file0.parallelism === undefined ? {} : { parallelism: file0.parallelism }),
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
  for (const component of [plan.source, ...plan.processors, ...Object.values(plan.sinks)]) {
    deepFreeze(component.config);
    Object.freeze(component);
  }
  deepFreeze(plan.delivery);
  deepFreeze(plan.parallelism);
  deepFreeze(plan.deadLetter);
  Object.freeze(plan.processors);
  Object.freeze(plan.sinks);
  return Object.freeze(plan);
}
