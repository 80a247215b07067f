/** `tributary docs [--schema]`: the component reference or the pipeline JSON Schema, from the specs. */
import { pipelineJsonSchema } from '../../runtime/config/index.js';
import { componentReference, type Registry } from '../../runtime/registry/index.js';
import { flagOption, type CommandInput } from '../command.js';

export function renderPipelineSchema(registry: Registry): string {
  return JSON.stringify(pipelineJsonSchema(registry), null, 2) + '\n';
}

export function docsCommand({ values, registry, out }: CommandInput): number {
  const text = flagOption(values, 'schema') ? renderPipelineSchema(registry) : componentReference(registry);
  out(text.replace(/\n$/, ''));
  return 0;
}
