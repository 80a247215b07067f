/**
 * Checks every reference field of a pipeline's components (`catalog: ucr`, `sink: reports`)
 * against what the file declares: a missing name, a resource or sink of the wrong type, or a sink
 * that does not share the referring component's resources is a problem at the field's position.
 */
import { isObject, referencesOf, type ComponentSpec, type Reference } from '../contract/index.js';
import { nearest } from '../registry/index.js';
import type { PathSegment } from './yaml-locator.js';

/** One parsed component: where it is in the file, its spec and its config as written (defaults applied). */
export interface ParsedPart {
  path: PathSegment[];
  type: string;
  spec: ComponentSpec;
  config: Record<string, unknown>;
}

export type ReportProblem = (path: readonly PathSegment[], message: string) => void;

const list = (names: string[]) => (names.length ? names.map((n) => `'${n}'`).join(', ') : 'none');

/** `did you mean 'x'?` for a near miss, else the names there are. */
function known(name: string, names: string[], what: string): string {
  const near = nearest(name, names);
  return near ? `did you mean '${near}'?` : `${what}: ${list(names)}`;
}

function checkOne(
  part: ParsedPart,
  field: string,
  reference: Reference,
  name: string,
  declared: { resources: Map<string, ParsedPart>; sinks: Map<string, ParsedPart> },
  report: ReportProblem,
): void {
  const at = [...part.path, field];
  if (reference.kind === 'resource') {
    const target = declared.resources.get(name);
    if (!target) {
      report(
        at,
        `no resource named '${name}' (declare one of type ${reference.type} under resources:); ${known(name, [...declared.resources.keys()], 'declared')}`,
      );
    } else if (target.type !== reference.type) {
      report(at, `resource '${name}' is of type ${target.type}; expected type ${reference.type}`);
    }
    return;
  }
  const sink = declared.sinks.get(name);
  if (!sink) {
    report(
      at,
      `no sink named '${name}' in this pipeline; ${known(name, [...declared.sinks.keys()], 'sinks')}`,
    );
    return;
  }
  if (!reference.types.includes(sink.type)) {
    report(at, `sink '${name}' is a ${sink.type} sink; expected ${reference.types.join(' or ')}`);
    return;
  }
  for (const shared of reference.shares) {
    const mine = part.config[shared];
    const theirs = sink.config[shared];
    if (mine !== theirs) {
      report(
        at,
        `sink '${name}' has ${shared}: ${JSON.stringify(theirs ?? null)} and this ${part.spec.kind} ${shared}: ${JSON.stringify(mine ?? null)}; they must name the same one`,
      );
    }
  }
}

/** Reports every broken reference among `parts`. */
export function checkReferences(parts: readonly ParsedPart[], report: ReportProblem): void {
  const declared = { resources: new Map<string, ParsedPart>(), sinks: new Map<string, ParsedPart>() };
  for (const part of parts) {
    const [section, name] = part.path;
    if (section === 'resources') declared.resources.set(String(name), part);
    if (section === 'sinks') declared.sinks.set(String(name), part);
  }
  for (const part of parts) {
    if (!isObject(part.config)) continue;
    for (const [field, reference] of referencesOf(part.spec.config)) {
      const name = part.config[field];
      if (typeof name === 'string') checkOne(part, field, reference, name, declared, report);
    }
  }
}
