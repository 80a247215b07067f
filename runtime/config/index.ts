// Pipeline YAML → validated, typed, frozen plan; and the JSON Schema editors use for it.
export {
  formatProblem,
  loadPipelineFile,
  loadPipelineText,
  type ComponentPlan,
  type ConfigProblem,
  type LoadOptions,
  type LoadResult,
  type PipelinePlan,
} from './load-pipeline.js';
export { OverrideSyntaxError, parseOverride, type ConfigOverride } from './overrides.js';
export { pipelineJsonSchema } from './pipeline-json-schema.js';
export type { DeadLetterConfig, Delivery, RetryPolicy } from './pipeline-schema.js';
