/**
 * A search index's definition as a file under `pipelines/search/` gives it: its logical name, the
 * index settings and the mapping. The physical index is named after a hash of the settings and
 * mapping (`<prefix><index>_<hash>`) behind the alias `<prefix><index>`: a changed definition is a
 * new physical index built beside the live one, then swapped in.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { searchIndexNames, type SearchIndexName } from './documents/search-actions.js';

export const indexDefinitionFile = z.strictObject({
  index: z.enum(searchIndexNames).describe('The logical index this file defines.'),
  description: z.string().default('').describe('What the index is for.'),
  settings: z
    .record(z.string(), z.unknown())
    .describe('Index settings (shards, refresh interval, analysis).'),
  mappings: z
    .looseObject({ properties: z.record(z.string(), z.unknown()) })
    .describe('The mapping: `dynamic`, `properties`…'),
});

export interface IndexDefinition {
  index: SearchIndexName;
  description: string;
  settings: Record<string, unknown>;
  mappings: Record<string, unknown>;
  /** First 10 hex digits of the SHA-256 of the canonical JSON of settings and mappings. */
  hash: string;
}

/** JSON with object keys sorted, so the hash does not depend on how a file orders them. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class IndexDefinitionError extends Error {
  override readonly name = 'IndexDefinitionError';
}

/** The definition in a parsed mapping file; an IndexDefinitionError names the file and the path at fault. */
export function indexDefinitionOf(json: unknown, origin: string): IndexDefinition {
  const parsed = indexDefinitionFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${origin}: ${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
    throw new IndexDefinitionError(problems.join('\n'));
  }
  const { index, description, settings, mappings } = parsed.data;
  const hash = createHash('sha256').update(canonicalJson({ settings, mappings })).digest('hex').slice(0, 10);
  return { index, description, settings, mappings, hash };
}

/** The alias readers use and the physical index of a definition, for a deployment's prefix. */
export function indexNames(definition: Pick<IndexDefinition, 'index' | 'hash'>, prefix: string) {
  const alias = `${prefix}${definition.index}`;
  return { alias, physical: `${alias}_${definition.hash}` };
}
