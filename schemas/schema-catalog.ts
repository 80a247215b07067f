/**
 * What the schemas folder holds: `topics.yaml` (which topic carries which value type, at which
 * compatibility level) and one folder per value type with every published version (`v1.avsc`,
 * `v2.avsc`, …). Loading reads and parses; judging the schemas is `checkSchemas`' job.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The registry's compatibility levels (Confluent API). */
export const compatibilityLevels = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof compatibilityLevels)[number];

const level = z.enum(compatibilityLevels);
// Kafka's own limits: the smallest sane batch, and the largest a broker takes by default in one request.
const maxMessageBytes = z.number().int().min(65_536).max(104_857_600);

/** The shape of `schemas/topics.yaml`. */
export const topicsFileSchema = z
  .object({
    defaults: z
      .object({
        compatibility: level
          .default('BACKWARD_TRANSITIVE')
          .describe('Level of every subject whose topic does not name its own.'),
        maxMessageBytes: maxMessageBytes
          .default(1_048_576)
          .describe(
            'max.message.bytes of every topic `topics ensure` creates, unless its own entry says otherwise; writers keep every event under it.',
          ),
      })
      .strict()
      .prefault({}),
    topics: z.record(
      z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a topic name: letters, digits, ".", "_" or "-"'),
      z
        .object({
          schema: z
            .string()
            .regex(/^[a-z][a-z0-9-]*$/, 'expected a schema folder name: lowercase letters, digits and "-"')
            .describe('Folder under schemas/ holding the versions of this topic’s value schema.'),
          compatibility: level.optional().describe('Level of this topic’s subject, instead of the default.'),
          maxMessageBytes: maxMessageBytes
            .optional()
            .describe('max.message.bytes of this topic, instead of the default.'),
        })
        .strict(),
    ),
  })
  .strict();
export type TopicsFile = z.infer<typeof topicsFileSchema>;

/** One thing wrong with one schema file; `field` is a path inside the schema like `indices[].relationship`. */
export interface SchemaProblem {
  file: string;
  field?: string;
  message: string;
}

/** `schemas/case/v2.avsc: field closed_by: added without a default …` */
export function formatProblem(problem: SchemaProblem): string {
  return `${problem.file}: ${problem.field ? `field ${problem.field}: ` : ''}${problem.message}`;
}

export interface SchemaVersion {
  version: number;
  /** Path of the file, relative to the working directory when inside it. */
  file: string;
  /** The parsed JSON of the file; undefined when it is not JSON (a problem says why). */
  schema: unknown;
}

export interface SchemaFolder {
  /** Folder name, e.g. `case` or `config-document`. */
  name: string;
  /** Every version found, in version order. */
  versions: SchemaVersion[];
}

export interface TopicSchema {
  topic: string;
  /** The folder of the topic's value schema. */
  folder: string;
  compatibility: CompatibilityLevel;
  /** The topic's max.message.bytes: the largest record batch it accepts. */
  maxMessageBytes: number;
}

export interface SchemaCatalog {
  /** Absolute path of the schemas folder. */
  dir: string;
  /** max.message.bytes of topics topics.yaml does not list (and of those that name none). */
  defaultMaxMessageBytes: number;
  topics: TopicSchema[];
  folders: SchemaFolder[];
  /** Files that could not be read as schemas: unparsable JSON, misnamed files, gaps in versions. */
  problems: SchemaProblem[];
}

/** The schemas folder or its topics file cannot be used at all: bad input, nothing was checked. */
export class SchemaCatalogError extends Error {
  override readonly name = 'SchemaCatalogError';
}

/** The latest version of a folder, or undefined when it has none. */
export function latestVersion(folder: SchemaFolder): SchemaVersion | undefined {
  return folder.versions.at(-1);
}

/**
 * The latest value schema of `topic` (its parsed JSON and file), or undefined when topics.yaml
 * does not list the topic. Topic names are matched exactly: strip any prefix first.
 */
export function latestSchemaOfTopic(catalog: SchemaCatalog, topic: string): SchemaVersion | undefined {
  const folder = catalog.topics.find((t) => t.topic === topic)?.folder;
  const versions = catalog.folders.find((f) => f.name === folder);
  return versions && latestVersion(versions);
}

/** The max.message.bytes a topic is created with: its own in topics.yaml, or the default. */
export function maxMessageBytesOf(catalog: SchemaCatalog, topic: string): number {
  return catalog.topics.find((t) => t.topic === topic)?.maxMessageBytes ?? catalog.defaultMaxMessageBytes;
}

/**
 * The `schemas` folder that ships with Tributary: found by walking up from this module, so it is
 * the same from the sources and from the build in `dist/`.
 */
export function defaultSchemasDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'topics.yaml'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new SchemaCatalogError('cannot find the schemas folder (schemas/topics.yaml)');
    dir = parent;
  }
}

/** A path as people should read it in messages: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

const versionFile = /^v([1-9][0-9]*)\.avsc$/;
const notSchemaFolders = new Set(['generated', 'tools', 'readers', 'node_modules']);

async function readVersions(dir: string, name: string, problems: SchemaProblem[]): Promise<SchemaVersion[]> {
  const entries = await readdir(join(dir, name), { withFileTypes: true });
  const versions: SchemaVersion[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.avsc')) continue;
    const path = join(dir, name, entry.name);
    const match = versionFile.exec(entry.name);
    if (!match) {
      problems.push({
        file: displayPath(path),
        message: 'a schema file must be named v<N>.avsc (v1.avsc, v2.avsc, …)',
      });
      continue;
    }
    const text = await readFile(path, 'utf8');
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (error) {
      problems.push({ file: displayPath(path), message: `not JSON: ${(error as Error).message}` });
    }
    versions.push({ version: Number(match[1]), file: displayPath(path), schema });
  }
  versions.sort((a, b) => a.version - b.version);
  versions.forEach((v, i) => {
    if (v.version !== i + 1) {
      problems.push({
        file: v.file,
        message: `versions must run v1, v2, … without gaps: expected v${i + 1}.avsc before it`,
      });
    }
  });
  return versions;
}

/**
 * Reads `topics.yaml` and every schema version under `dir`. Throws SchemaCatalogError when the
 * folder or its topics file is missing or invalid, or a topic names a folder without schemas;
 * files that cannot be read as schemas are listed in `problems` instead.
 */
export async function loadSchemaCatalog(dir: string = defaultSchemasDir()): Promise<SchemaCatalog> {
  const root = resolve(dir);
  const topicsPath = join(root, 'topics.yaml');
  let text: string;
  try {
    text = await readFile(topicsPath, 'utf8');
  } catch (error) {
    throw new SchemaCatalogError(`${displayPath(topicsPath)}: cannot read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new SchemaCatalogError(`${displayPath(topicsPath)}: not YAML: ${(error as Error).message}`);
  }
  const parsed = topicsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
    throw new SchemaCatalogError(`${displayPath(topicsPath)}: ${issues.join('; ')}`);
  }

  const problems: SchemaProblem[] = [];
  const entries = await readdir(root, { withFileTypes: true });
  const folders: SchemaFolder[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || notSchemaFolders.has(entry.name)) continue;
    const versions = await readVersions(root, entry.name, problems);
    if (versions.length > 0) folders.push({ name: entry.name, versions });
  }

  const topics = Object.entries(parsed.data.topics).map(([topic, spec]) => ({
    topic,
    folder: spec.schema,
    compatibility: spec.compatibility ?? parsed.data.defaults.compatibility,
    maxMessageBytes: spec.maxMessageBytes ?? parsed.data.defaults.maxMessageBytes,
  }));
  const missing = topics.filter((t) => !folders.some((f) => f.name === t.folder));
  if (missing.length > 0) {
    const names = missing.map(
      (t) => `topics.${t.topic}.schema: no schemas in ${t.folder}/ (expected v1.avsc)`,
    );
    throw new SchemaCatalogError(`${displayPath(topicsPath)}: ${names.join('; ')}`);
  }
  for (const folder of folders) {
    if (!topics.some((t) => t.folder === folder.name)) {
      problems.push({
        file: displayPath(join(root, folder.name)),
        message: `not the value schema of any topic: add it to ${displayPath(topicsPath)}`,
      });
    }
  }
  return {
    dir: root,
    defaultMaxMessageBytes: parsed.data.defaults.maxMessageBytes,
    topics,
    folders,
    problems,
  };
}
