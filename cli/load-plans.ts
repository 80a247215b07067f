/** Pipeline files → validated plans, for every command that takes pipeline files. */
import {
  formatProblem,
  loadPipelineFile,
  OverrideSyntaxError,
  parseOverride,
  type ConfigOverride,
  type PipelinePlan,
} from '../runtime/config/index.js';
import type { Registry } from '../runtime/registry/index.js';
import { expandPipelineFiles } from './commands/validate.js';
import { UsageError } from './command.js';
import { InputProblemsError } from './input-file.js';

/**
 * The plans of the files (a folder stands for the YAML files below it). Rejects with an
 * InputProblemsError listing every problem of every file (`file:line:col path: message`).
 */
export async function loadPlans(
  paths: readonly string[],
  registry: Registry,
  overrides: readonly ConfigOverride[] = [],
): Promise<PipelinePlan[]> {
  const plans: PipelinePlan[] = [];
  const problems: string[] = [];
  for (const file of await expandPipelineFiles([...paths])) {
    const result = await loadPipelineFile(file, registry, process.env, { overrides });
    if (result.ok) plans.push(result.plan);
    else problems.push(...result.problems.map(formatProblem));
  }
  if (problems.length) throw new InputProblemsError(problems);
  return plans;
}

/** `--set path=value` texts → overrides; bad syntax is a usage error (exit 2). */
export function parseOverrides(texts: readonly string[]): ConfigOverride[] {
  try {
    return texts.map(parseOverride);
  } catch (error) {
    if (error instanceof OverrideSyntaxError) throw new UsageError(error.message);
    throw error;
  }
}
