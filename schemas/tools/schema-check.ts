/**
 * The offline schema check behind `tributary schemas check`: every schema parses, follows our
 * conventions, and every version can read (and be read by) the earlier ones as its topic's
 * compatibility level demands, without a registry.
 */
import avro from 'avsc';
import { avroType } from '../avro-type.js';
import type {
  CompatibilityLevel,
  SchemaCatalog,
  SchemaFolder,
  SchemaProblem,
  SchemaVersion,
} from '../schema-catalog.js';
import { findIncompatibilities } from './schema-compatibility.js';

/** The fields every change event starts with, and the Avro type each must have. */
export const envelopeFields = [
  { name: 'doc_id', type: 'string' },
  { name: 'domain', type: 'string' },
  { name: 'doc_type', type: 'string' },
  { name: 'version', type: 'long' },
  { name: 'deleted', type: 'boolean' },
  { name: 'changed_on', type: 'timestamp-millis' },
] as const;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);

/** `long`, `{"type": "long"}` → `long`; a logical type → its name; anything else → undefined. */
function simpleTypeName(type: unknown): string | undefined {
  if (typeof type === 'string') return type;
  if (!isObject(type)) return undefined;
  if (typeof type.logicalType === 'string') return type.logicalType;
  return typeof type.type === 'string' ? type.type : undefined;
}

/** Field names that say "a point in time" and so should be `timestamp-millis`, not a bare long. */
const timeName = /(_on|_at)$|^(date|time)_|_(date|time)$|^last_login$/;

/** Our conventions, on the raw JSON of one version: docs everywhere, namespaces, times as timestamps. */
function conventionProblems(version: SchemaVersion): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const add = (field: string, message: string) =>
    problems.push({ file: version.file, ...(field ? { field } : {}), message });
  const schema = version.schema;
  if (!isObject(schema) || schema.type !== 'record') {
    add('', 'a topic value schema must be a record');
    return problems;
  }
  if (typeof schema.namespace !== 'string' && !String(schema.name).includes('.')) {
    add('', `record ${String(schema.name)} needs a namespace (e.g. dev.tributary.commcare)`);
  }

  const visitType = (type: unknown, path: string): void => {
    if (Array.isArray(type)) return type.forEach((branch) => visitType(branch, path));
    if (!isObject(type)) return;
    if (type.type === 'record' || type.type === 'enum') {
      if (typeof type.doc !== 'string' || type.doc.trim() === '') {
        add(path, `${String(type.type)} ${String(type.name)} needs a doc`);
      }
    }
    if (type.type === 'record' && Array.isArray(type.fields)) {
      for (const field of type.fields) {
        if (!isObject(field)) continue;
        const fieldPath = join(path, String(field.name));
        if (typeof field.doc !== 'string' || field.doc.trim() === '') add(fieldPath, 'needs a doc');
        const types = Array.isArray(field.type) ? field.type : [field.type];
        if (timeName.test(String(field.name)) && types.some((t) => simpleTypeName(t) === 'long')) {
          add(fieldPath, 'holds a time: make it {"type": "long", "logicalType": "timestamp-millis"}');
        }
        visitType(field.type, fieldPath);
      }
    }
    if (type.type === 'array') visitType(type.items, `${path}[]`);
    if (type.type === 'map') visitType(type.values, `${path}{}`);
  };
  if (typeof schema.doc !== 'string' || schema.doc.trim() === '') {
    add('', `record ${String(schema.name)} needs a doc`);
  }
  visitType({ ...schema, doc: 'checked above' }, '');

  const fields = Array.isArray(schema.fields) ? (schema.fields as unknown[]).filter(isObject) : [];
  for (const expected of envelopeFields) {
    const field = fields.find((f) => f.name === expected.name);
    if (!field) add(expected.name, `missing: every change event carries the envelope field ${expected.name}`);
    else if (simpleTypeName(field.type) !== expected.type) {
      add(expected.name, `must be ${expected.type}, like in every change event`);
    }
  }
  return problems;
}

/** Unions avsc cannot decode to a plain value (two branches of one JavaScript kind, e.g. int and long). */
function ambiguousUnions(type: avro.Type, path: string, found: string[], seen: Set<avro.Type>): string[] {
  if (seen.has(type)) return found;
  seen.add(type);
  if (avro.Type.isType(type, 'union:wrapped')) found.push(path);
  if (avro.Type.isType(type, 'union')) {
    for (const branch of (type as avro.types.UnwrappedUnionType).types)
      ambiguousUnions(branch, path, found, seen);
  } else if (avro.Type.isType(type, 'record')) {
    for (const field of (type as avro.types.RecordType).fields) {
      ambiguousUnions(field.type, join(path, field.name), found, seen);
    }
  } else if (avro.Type.isType(type, 'array')) {
    ambiguousUnions((type as avro.types.ArrayType).itemsType, `${path}[]`, found, seen);
  } else if (avro.Type.isType(type, 'map')) {
    ambiguousUnions((type as avro.types.MapType).valuesType as avro.Type, `${path}{}`, found, seen);
  }
  return found;
}

/** The (reader, writer) pairs of versions a level requires for version `k` (0-based). */
function requiredReads(level: CompatibilityLevel, k: number): { reader: number; writer: number }[] {
  if (level === 'NONE' || k === 0) return [];
  const earlier = level.endsWith('_TRANSITIVE') ? Array.from({ length: k }, (_, j) => j) : [k - 1];
  const pairs: { reader: number; writer: number }[] = [];
  for (const j of earlier) {
    if (level.startsWith('BACKWARD') || level.startsWith('FULL')) pairs.push({ reader: k, writer: j });
    if (level.startsWith('FORWARD') || level.startsWith('FULL')) pairs.push({ reader: j, writer: k });
  }
  return pairs;
}

function checkFolder(folder: SchemaFolder, levels: CompatibilityLevel[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const types = folder.versions.map((version) => {
    if (version.schema === undefined) return undefined; // not JSON: already a problem of the catalog
    try {
      return avroType(version.schema);
    } catch (error) {
      problems.push({ file: version.file, message: `not a valid Avro schema: ${(error as Error).message}` });
      return undefined;
    }
  });
  folder.versions.forEach((version, k) => {
    const type = types[k];
    if (!type) return;
    problems.push(...conventionProblems(version));
    for (const path of ambiguousUnions(type, '', [], new Set())) {
      problems.push({
        file: version.file,
        ...(path ? { field: path } : {}),
        message: 'union has two branches of one JavaScript kind (e.g. int and long): keep one per kind',
      });
    }
  });

  for (const level of levels) {
    folder.versions.forEach((version, k) => {
      for (const { reader, writer } of requiredReads(level, k)) {
        const readerType = types[reader];
        const writerType = types[writer];
        if (!readerType || !writerType) continue;
        const readerV = folder.versions[reader]!.version;
        const writerV = folder.versions[writer]!.version;
        for (const { field, reason } of findIncompatibilities(readerType, writerType)) {
          problems.push({
            file: version.file,
            ...(field ? { field } : {}),
            message: `${reason}: v${readerV} cannot read data written with v${writerV} (${level})`,
          });
        }
      }
    });
  }

  // Whatever the level: a field added after v1 has a default, so old data stays readable.
  folder.versions.forEach((version, k) => {
    const type = types[k];
    const previous = types[k - 1];
    if (k === 0 || !type || !previous) return;
    for (const { field, reason } of findIncompatibilities(type, previous)) {
      if (!reason.startsWith('added without a default')) continue;
      if (problems.some((p) => p.file === version.file && p.field === field)) continue;
      problems.push({
        file: version.file,
        field,
        message: `added in v${version.version} without a default: every field added after v1 needs one`,
      });
    }
  });
  return problems;
}

/**
 * Every problem of the catalog, each naming the file, the field where there is one, and the
 * reason; empty when every schema is fine. Reads no registry.
 */
export function checkSchemas(catalog: SchemaCatalog): SchemaProblem[] {
  const problems = [...catalog.problems];
  for (const folder of catalog.folders) {
    const levels = [
      ...new Set(catalog.topics.filter((t) => t.folder === folder.name).map((t) => t.compatibility)),
    ];
    problems.push(...checkFolder(folder, levels));
  }
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}|${p.field ?? ''}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
