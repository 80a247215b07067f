/**
 * Config fields that name another part of the same pipeline file: a declared resource of a type,
 * or a sink of a type. Declared in the component's zod config like any field, so the loader
 * (`tributary validate`) checks each reference before anything connects, and the JSON Schema and
 * the docs say what it must name.
 */
import { z } from 'zod';
import type { ResourceType } from './resource.js';

export interface ResourceReference {
  kind: 'resource';
  /** The resource type it must name. */
  type: string;
}

export interface SinkReference {
  kind: 'sink';
  /** The sink types it may name. */
  types: readonly string[];
  /** Fields (references too) the named sink must give the same value as this component (`catalog`). */
  shares: readonly string[];
}

export type Reference = ResourceReference | SinkReference;

/** The metadata key that marks a reference field (also in the generated JSON Schema). */
export const referenceKey = 'x-tributary-ref';

/** A field naming a resource of `type` declared under `resources:`. */
export function resourceRef(type: ResourceType<unknown>, description: string) {
  const reference: ResourceReference = { kind: 'resource', type: type.name };
  return z
    .string()
    .min(1)
    .meta({ description, [referenceKey]: reference });
}

/** A field naming a sink of one of `types` in the same pipeline, sharing the `shares` fields' values. */
export function sinkRef(types: readonly string[], description: string, options: { shares?: string[] } = {}) {
  const reference: SinkReference = { kind: 'sink', types, shares: options.shares ?? [] };
  return z
    .string()
    .min(1)
    .meta({ description, [referenceKey]: reference });
}

/** The reference a config field declares, looking through `.optional()` and `.default()`. */
export function referenceOf(schema: z.ZodType): Reference | undefined {
  let current: z.ZodType | undefined = schema;
  while (current) {
    const meta: Record<string, unknown> | undefined = z.globalRegistry.get(current);
    const found = meta?.[referenceKey];
    if (found) return found as Reference;
    const def = current._zod.def as { innerType?: z.ZodType };
    current = def.innerType;
  }
  return undefined;
}

/** Every reference field of a component config: field name → what it must name. */
export function referencesOf(config: z.ZodObject): [field: string, reference: Reference][] {
  return Object.entries(config.shape).flatMap(([field, schema]) => {
    const reference = referenceOf(schema as z.ZodType);
    return reference ? [[field, reference] as [string, Reference]] : [];
  });
}
