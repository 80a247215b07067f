/**
 * Whether data written with one schema can be read with another, and if not, which field and why.
 * avsc's resolver decides (Avro schema resolution); this walks both schemas to name the field.
 */
import avro from 'avsc';

export interface Incompatibility {
  /** Path of the field inside the schema, e.g. `indices[].relationship`; empty for the whole value. */
  field: string;
  /** What changed, in words, e.g. `added without a default`. */
  reason: string;
}

type Field = avro.types.Field;
type Union = avro.types.UnwrappedUnionType | avro.types.WrappedUnionType;

function resolutionError(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const isUnion = (type: avro.Type): type is Union => avro.Type.isType(type, 'union');
const underlying = (type: avro.Type): avro.Type =>
  avro.Type.isType(type, 'logical') ? (type as avro.types.LogicalType).underlyingType : type;
const describe = (type: avro.Type): string => type.name ?? type.typeName;
const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);
const sameKind = (a: avro.Type, b: avro.Type): boolean =>
  underlying(a).typeName === underlying(b).typeName && a.name === b.name;

function nameMatches(reader: avro.Type, writer: avro.Type): boolean {
  return reader.name === writer.name || (reader.aliases ?? []).includes(writer.name ?? '');
}

function walk(reader: avro.Type, writer: avro.Type, path: string, out: Incompatibility[], seen: Set<string>) {
  const failure = resolutionError(reader, writer);
  if (failure === undefined) return;
  // Recursive schemas: each pair of named types is explained once.
  const key = `${path}|${describe(reader)}|${describe(writer)}`;
  if (seen.has(key)) return;
  seen.add(key);
  const found = out.length;
  const r = underlying(reader);
  const w = underlying(writer);

  if (isUnion(w)) {
    for (const branch of w.types) {
      const readers = isUnion(r) ? r.types : [r];
      if (readers.some((candidate) => resolutionError(candidate, branch) === undefined)) continue;
      const match = readers.find((candidate) => sameKind(candidate, branch));
      if (match) walk(match, branch, path, out, seen);
      else
        out.push({ field: path, reason: `no longer accepts ${describe(branch)}, which was written before` });
    }
  } else if (isUnion(r)) {
    const match = r.types.find((candidate) => sameKind(candidate, w));
    if (match) walk(match, w, path, out, seen);
    else out.push({ field: path, reason: `type changed from ${describe(w)} to a union without it` });
  } else if (avro.Type.isType(r, 'record') && avro.Type.isType(w, 'record')) {
    if (!nameMatches(r, w)) {
      out.push({
        field: path,
        reason: `record renamed from ${describe(w)} to ${describe(r)} without an alias`,
      });
    }
    const writerFields = (w as avro.types.RecordType).fields;
    for (const field of (r as avro.types.RecordType).fields) {
      const written = writerFields.find(
        (f: Field) => f.name === field.name || field.aliases.includes(f.name),
      );
      if (written) walk(field.type, written.type, join(path, field.name), out, seen);
      else if (field.defaultValue() === undefined) {
        out.push({
          field: join(path, field.name),
          reason: 'added without a default, so data written without it cannot be read',
        });
      }
    }
  } else if (avro.Type.isType(r, 'enum') && avro.Type.isType(w, 'enum')) {
    const readerEnum = r as avro.types.EnumType & { default?: string };
    if (!nameMatches(r, w)) {
      out.push({
        field: path,
        reason: `enum renamed from ${describe(w)} to ${describe(r)} without an alias`,
      });
    }
    const removed = (w as avro.types.EnumType).symbols.filter((s) => !readerEnum.symbols.includes(s));
    if (removed.length > 0 && readerEnum.default === undefined) {
      out.push({
        field: path,
        reason: `symbol ${removed.join(', ')} is gone and the enum has no default, so data holding it cannot be read`,
      });
    }
  } else if (avro.Type.isType(r, 'array') && avro.Type.isType(w, 'array')) {
    walk(
      (r as avro.types.ArrayType).itemsType,
      (w as avro.types.ArrayType).itemsType,
      `${path}[]`,
      out,
      seen,
    );
  } else if (avro.Type.isType(r, 'map') && avro.Type.isType(w, 'map')) {
    walk(
      (r as avro.types.MapType).valuesType as avro.Type,
      (w as avro.types.MapType).valuesType as avro.Type,
      `${path}{}`,
      out,
      seen,
    );
  } else if (avro.Type.isType(r, 'fixed') && avro.Type.isType(w, 'fixed') && nameMatches(r, w)) {
    out.push({ field: path, reason: `size changed from ${describe(w)} to ${describe(r)}` });
  } else {
    out.push({ field: path, reason: `type changed from ${describe(w)} to ${describe(r)}` });
  }
  if (out.length === found) out.push({ field: path, reason: failure });
}

/**
 * Every reason why data written with `writer` cannot be read with `reader`, each with the field it
 * is about; empty when it can (the Avro schema resolution rules, as avsc applies them).
 */
export function findIncompatibilities(reader: avro.Type, writer: avro.Type): Incompatibility[] {
  const out: Incompatibility[] = [];
  walk(reader, writer, '', out, new Set());
  return out;
}
