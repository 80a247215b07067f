/** `tributary docs [--schema]`: the component reference or the pipeline JSON Schema, from the specs. */
import { pipelineJsonSchema } from '../../runtime/config/index.js';
import { componentReference, type Registry } from '../../runtime/registry/index.js';

export function renderPipelineSchema(registry: Registry): string {
  return JSON.stringify(pipelineJsonSchema(registry), null, 2) + '\n';
}

export function docsCommand(args: string[], registry: Registry): number {
  if (args.includes('--schema')) process.stdout.write(renderPipelineSchema(registry));
  else process.stdout.write(componentReference(registry));
  return 0;
}
