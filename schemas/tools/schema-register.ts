/**
 * `tributary schemas register`: puts each topic's latest value schema under its `<topic>-value`
 * subject (topic-name strategy) with the topic's compatibility level, and says which were new.
 */
import type { CompatibilityLevel, SchemaCatalog } from '../schema-catalog.js';
import { latestVersion } from '../schema-catalog.js';

/** What registering needs from a Confluent-API schema registry. */
export interface SchemaRegistryApi {
  /** The id of `schema` when `subject` holds it already; undefined when the subject or the schema is absent. */
  lookupSchema(subject: string, schema: string): Promise<number | undefined>;
  /** Registers `schema` under `subject` and returns its id; rejects naming the reason when the registry refuses it. */
  registerSchema(subject: string, schema: string): Promise<number>;
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /** True when `schema` may be registered under `subject` at its current level (true for a new subject). */
  testCompatibility(subject: string, schema: string): Promise<boolean>;
}

export interface RegisterOptions {
  /** Prepended to every topic name, e.g. `t_avro_1a2b.`; tests and staging use it for their own subjects. */
  topicPrefix?: string;
  /** Reads the registry but changes nothing: reports what registering would do. */
  dryRun?: boolean;
  /** Only these topics (unprefixed names); every topic of the catalog when absent. */
  topics?: string[];
}

export interface RegisterOutcome {
  topic: string;
  subject: string;
  /** The schema file registered, e.g. `schemas/case/v2.avsc`. */
  file: string;
  compatibility: CompatibilityLevel;
  /**
   * `new`: registered now (or would be, in a dry run); `existing`: the subject held it already;
   * `refused`: the registry refused it (incompatible with what the subject holds) or could not be asked.
   */
  status: 'new' | 'existing' | 'refused';
  /** The registry's id of the schema, when known. */
  id?: number;
  /** Why it was refused. */
  error?: string;
}

/** The registry text of a schema: compact JSON, the same bytes on every run and in every serde. */
export function registryText(schema: unknown): string {
  return JSON.stringify(schema);
}

/**
 * Registers the latest schema of each topic and sets its subject's compatibility level first, so
 * the registry judges the new version by that level. One topic failing does not stop the others:
 * each outcome says what happened. Rejects only when the registry cannot be reached at all
 * (a RetryableError from the client) before any outcome is known.
 */
export async function registerSchemas(
  catalog: SchemaCatalog,
  registry: SchemaRegistryApi,
  options: RegisterOptions = {},
): Promise<RegisterOutcome[]> {
  const prefix = options.topicPrefix ?? '';
  const topics = catalog.topics.filter((t) => !options.topics || options.topics.includes(t.topic));
  const outcomes: RegisterOutcome[] = [];
  for (const { topic, folder, compatibility } of topics) {
    const latest = latestVersion(catalog.folders.find((f) => f.name === folder)!)!;
    const subject = `${prefix}${topic}-value`;
    const schema = registryText(latest.schema);
    const base = { topic: `${prefix}${topic}`, subject, file: latest.file, compatibility };
    try {
      const existing = await registry.lookupSchema(subject, schema);
      // Always set, never compare: some registries answer a subject without its own level with
      // the global one, which would hide that the subject follows the global default.
      if (!options.dryRun) await registry.setCompatibility(subject, compatibility);
      if (existing !== undefined) {
        outcomes.push({ ...base, status: 'existing', id: existing });
      } else if (options.dryRun) {
        const compatible = await registry.testCompatibility(subject, schema);
        outcomes.push(
          compatible
            ? { ...base, status: 'new' }
            : { ...base, status: 'refused', error: 'incompatible with the latest schema of the subject' },
        );
      } else {
        const id = await registry.registerSchema(subject, schema);
        outcomes.push({ ...base, status: 'new', id });
      }
    } catch (error) {
      if (outcomes.length === 0 && (error as { retryable?: boolean }).retryable === true) throw error;
      outcomes.push({ ...base, status: 'refused', error: (error as Error).message });
    }
  }
  return outcomes;
}
