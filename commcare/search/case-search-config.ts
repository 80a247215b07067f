/**
 * A domain's case search configuration, as CommCare's `CaseSearchConfig` (one file per domain
 * under `pipelines/search/case-search/`): which properties of a case type are searched fuzzily,
 * which characters are stripped from a searched value (`ignore_patterns`, literal text as
 * CommCare escapes them), plus which properties a request may not search and which owners' cases
 * are never returned, per case type.
 */
import { z } from 'zod';

const caseType = z.string().min(1).describe('The case type it applies to.');

export const caseSearchConfigFile = z.strictObject({
  domain: z.string().min(1).describe('The domain (project space) this configuration is for.'),
  fuzzy_prefix_length: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Leading characters a fuzzy match must get exactly right (CommCare: fuzzy_prefix_length).'),
  fuzzy_properties: z
    .array(z.strictObject({ case_type: caseType, properties: z.array(z.string().min(1)) }))
    .default([])
    .describe('Properties searched with edit distance (CommCare: FuzzyProperties).'),
  ignore_patterns: z
    .array(
      z.strictObject({ case_type: caseType, case_property: z.string().min(1), regex: z.string().min(1) }),
    )
    .default([])
    .describe('Text removed from a searched value before it is matched (CommCare: IgnorePatterns).'),
  properties_to_ignore: z
    .array(z.strictObject({ case_type: caseType, properties: z.array(z.string().min(1)) }))
    .default([])
    .describe('Request parameters that are not searched for that case type.'),
  excluded_owner_ids: z
    .array(z.strictObject({ case_type: caseType, owner_ids: z.array(z.string().min(1)) }))
    .default([])
    .describe('Owners whose cases are never returned for that case type.'),
});

export type CaseSearchConfig = z.output<typeof caseSearchConfigFile>;

/** What applies to one search of some case types. */
export interface CaseSearchSettings {
  fuzzyPrefixLength: number;
  fuzzyProperties: ReadonlySet<string>;
  /** Per property, the literal text to remove from a searched value. */
  ignorePatterns: ReadonlyMap<string, readonly string[]>;
  ignoredProperties: ReadonlySet<string>;
  excludedOwnerIds: readonly string[];
}

export class CaseSearchConfigError extends Error {
  override readonly name = 'CaseSearchConfigError';
}

/** The configuration in a parsed file; a CaseSearchConfigError names the file and the path at fault. */
export function caseSearchConfigOf(json: unknown, origin: string): CaseSearchConfig {
  const parsed = caseSearchConfigFile.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new CaseSearchConfigError(
    parsed.error.issues
      .map((issue) => `${origin}: ${issue.path.join('.') || '(top)'}: ${issue.message}`)
      .join('\n'),
  );
}

/** The settings of a search of these case types; no configuration means none of them. */
export function caseSearchSettings(
  config: CaseSearchConfig | undefined,
  caseTypes: readonly string[],
): CaseSearchSettings {
  const applies = (entry: { case_type: string }) => caseTypes.includes(entry.case_type);
  const ignorePatterns = new Map<string, string[]>();
  for (const pattern of config?.ignore_patterns.filter(applies) ?? []) {
    ignorePatterns.set(pattern.case_property, [
      ...(ignorePatterns.get(pattern.case_property) ?? []),
      pattern.regex,
    ]);
  }
  return {
    fuzzyPrefixLength: config?.fuzzy_prefix_length ?? 0,
    fuzzyProperties: new Set(config?.fuzzy_properties.filter(applies).flatMap((f) => f.properties)),
    ignorePatterns,
    ignoredProperties: new Set(config?.properties_to_ignore.filter(applies).flatMap((p) => p.properties)),
    excludedOwnerIds: [...new Set(config?.excluded_owner_ids.filter(applies).flatMap((e) => e.owner_ids))],
  };
}
