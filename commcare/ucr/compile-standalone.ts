/**
 * Expressions, filters and indicators compiled on their own (outside a data source), for
 * `tributary ucr expr|filter|indicator` and tests. Each returns an evaluator that never throws for
 * data and reports the lookups it missed.
 */
import type { UcrColumn, UcrLookupKey, UcrLookups, UcrRow } from './contract.js';
import { compileIndicator as compileIndicatorSpec, type MutableRow } from './compile/compile-indicator.js';
import { EvalContext, noLookups } from './compile/eval-context.js';
import { UcrCompiler, type UcrCompilerOptions } from './compile/ucr-compiler.js';

export interface StandaloneCompileOptions extends UcrCompilerOptions {
  /** JSON path prefix for errors. */
  path?: string;
}

export interface StandaloneEvalOptions {
  /** The document `root_doc` expressions see; the item itself when absent. */
  rootDoc?: unknown;
  /** `base_iteration_number`; 0 when absent. */
  iteration?: number;
  lookups?: UcrLookups;
}

export interface StandaloneResult<T> {
  readonly value: T;
  /** Lookups that were not loaded (the value is then provisional). */
  readonly missing: readonly UcrLookupKey[];
}

function context(item: unknown, options: StandaloneEvalOptions): EvalContext {
  return new EvalContext(
    options.rootDoc === undefined ? item : options.rootDoc,
    options.lookups ?? noLookups,
    options.iteration ?? 0,
  );
}

/** Compiles an expression spec (literal conversion applies to a non-object). */
export function compileExpression(
  spec: unknown,
  options: StandaloneCompileOptions = {},
): (item: unknown, evalOptions?: StandaloneEvalOptions) => StandaloneResult<unknown> {
  const compiled = new UcrCompiler(options).expression(spec, options.path ?? '');
  return (item, evalOptions = {}) => {
    const ctx = context(item, evalOptions);
    const value = compiled(item, ctx);
    return { value: value === undefined ? null : value, missing: ctx.missing };
  };
}

/** Compiles a filter spec. */
export function compileFilter(
  spec: unknown,
  options: StandaloneCompileOptions = {},
): (item: unknown, evalOptions?: StandaloneEvalOptions) => StandaloneResult<boolean> {
  const compiled = new UcrCompiler(options).filter(spec, options.path ?? '');
  return (item, evalOptions = {}) => {
    const ctx = context(item, evalOptions);
    return { value: compiled(item, ctx), missing: ctx.missing };
  };
}

export interface StandaloneIndicator {
  readonly columns: readonly UcrColumn[];
  /** The indicator's columns and stored values for one item. */
  evaluate(item: unknown, evalOptions?: StandaloneEvalOptions): StandaloneResult<UcrRow>;
}

/** Compiles an indicator spec. */
export function compileIndicator(spec: unknown, options: StandaloneCompileOptions = {}): StandaloneIndicator {
  const compiled = compileIndicatorSpec(new UcrCompiler(options), spec, options.path ?? '');
  return {
    columns: compiled.columns,
    evaluate(item, evalOptions = {}) {
      const ctx = context(item, evalOptions);
      const row: MutableRow = {};
      compiled.write(item, ctx, row);
      return { value: row, missing: ctx.missing };
    },
  };
}
