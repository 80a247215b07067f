/** Component lookup by kind and name; built from explicit arrays, duplicates fail fast. */
import type {
  ComponentKind,
  ComponentSpec,
  ProcessorSpec,
  ResourceSpec,
  SinkSpec,
  SourceSpec,
} from '../contract/index.js';
import { nearest } from './suggest.js';

export interface Registry {
  source(name: string): SourceSpec | undefined;
  processor(name: string): ProcessorSpec | undefined;
  sink(name: string): SinkSpec | undefined;
  resource(name: string): ResourceSpec | undefined;
  names(kind: ComponentKind): string[];
  all(kind: ComponentKind): ComponentSpec[];
  /** The known name nearest to an unknown one, if any is close. */
  suggest(kind: ComponentKind, name: string): string | undefined;
}

export function createRegistry(specs: readonly ComponentSpec[]): Registry {
  const byKind: Record<ComponentKind, Map<string, ComponentSpec>> = {
    source: new Map(),
    processor: new Map(),
    sink: new Map(),
    resource: new Map(),
  };
  for (const spec of specs) {
    const map = byKind[spec.kind];
    if (map.has(spec.name)) throw new Error(`two ${spec.kind} components are named '${spec.name}'`);
    map.set(spec.name, spec);
  }
  const names = (kind: ComponentKind) => [...byKind[kind].keys()].sort();
  return {
    source: (name) => byKind.source.get(name) as SourceSpec | undefined,
    processor: (name) => byKind.processor.get(name) as ProcessorSpec | undefined,
    sink: (name) => byKind.sink.get(name) as SinkSpec | undefined,
    resource: (name) => byKind.resource.get(name) as ResourceSpec | undefined,
    names,
    all: (kind) => names(kind).map((name) => byKind[kind].get(name)!),
    suggest: (kind, name) => nearest(name, names(kind)),
  };
}
