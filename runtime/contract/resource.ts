/**
 * Named, typed resources declared in the pipeline file (`resources: { ucr: { type: ucr-catalog, … } }`)
 * that components share instead of finding each other at run time: a catalog of views and what
 * builds them, a search index catalog. The runtime creates each once per pipeline, starts it before
 * the sinks, hands it to the components that name it (`catalog: ucr`), and closes it after them.
 */
import type { z } from 'zod';
import type { ComponentContext, Source, SpecBase } from './component.js';

/**
 * A kind of resource: the `type` that names it in a pipeline file and, as a type parameter, the
 * interface its instances provide. Declared where that interface lives (a pure `commcare/` module
 * for CommCare's views), so a stage can use a resource without importing the connector behind it.
 */
export interface ResourceType<T> {
  readonly name: string;
  /** Never set: carries `T` for the compiler. */
  readonly instance?: T;
}

export function resourceType<T>(name: string): ResourceType<T> {
  return Object.freeze({ name });
}

/** What the runtime does with every resource instance besides handing it out. */
export interface Resource {
  /** Before any sink starts and any record flows; a failure stops the pipeline from starting. */
  start?(): Promise<void>;
  /** After every component that uses it has closed. */
  close?(): Promise<void>;
  /**
   * The views this process is building (rebuild or reindex) right now, with when each began:
   * the runtime reports their ages as `tributary_view_build_age_seconds`.
   */
  builds?(): readonly ViewBuild[];
}

export interface ViewBuild {
  view: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

export interface BoundedRunOptions {
  /** Names the run in logs and in the stage of its dead letters, e.g. `build:d1_patients_1a2b3c4d`. */
  label: string;
  /** Instances standing in for the pipeline's declared resources of these names during the run. */
  resources?: Readonly<Record<string, unknown>>;
}

export interface BoundedRunResult {
  /** Records the source delivered. */
  records: number;
  /** Records that failed permanently and went to the pipeline's dead letters. */
  deadLetters: number;
}

/** What a resource's factory receives: a component's context, its own name, and the pipeline to run work through. */
export interface ResourceContext extends ComponentContext {
  /** This resource's name under `resources:`. */
  name: string;
  /**
   * Runs a bounded source (one with `drained`) to its end through fresh instances of this
   * pipeline's processors and sinks, with `options.resources` standing in for declared resources
   * of those names. Resolves once every record is durable or a dead letter; the source's `commit`
   * is called as batches become durable, so a run can resume where it stopped. How a view is
   * built (backfilled) with the same stage code as live changes.
   */
  runBounded(source: Source, options: BoundedRunOptions): Promise<BoundedRunResult>;
}

export interface ResourceSpec<C extends z.ZodObject = z.ZodObject, T = unknown> extends Omit<
  SpecBase<'resource', C, Resource & T>,
  'create'
> {
  /** The kind of resource this spec creates; its name is the spec's `name`. */
  provides: ResourceType<T>;
  create(config: z.output<C>, context: ResourceContext): (Resource & T) | Promise<Resource & T>;
}

export function defineResource<C extends z.ZodObject, T>(
  spec: Omit<ResourceSpec<C, T>, 'kind' | 'name'>,
): ResourceSpec<C, T> {
  return Object.freeze({ ...spec, name: spec.provides.name, kind: 'resource' as const });
}
