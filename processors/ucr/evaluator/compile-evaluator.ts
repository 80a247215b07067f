/** Placeholder replaced by the evaluator implementation. */
import type { EvalContext } from '../compile/eval-context.js';

export interface EvaluatorHooks {
  named(name: string): ((item: unknown, ctx: EvalContext) => unknown) | undefined;
}

export function compileEvaluator(
  _statement: string,
  _variables: Record<string, (item: unknown, ctx: EvalContext) => unknown> | undefined,
  _hooks: EvaluatorHooks,
): (item: unknown, ctx: EvalContext) => unknown {
  return () => null;
}
