/**
 * Validates Kubernetes objects against the API's own OpenAPI v3 schemas (from the k8s.io/kubernetes
 * module) and CRD schemas (KEDA's), the way the API server would and stricter in one respect: an
 * object with declared properties is closed, so a misspelt field is an error instead of being
 * dropped silently (as kubeconform's --strict). Schemas come from deploy/k8s/tools.sh's cache.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Schema = Record<string, unknown>;

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export class KubeSchemas {
  private readonly byGvk = new Map<string, { schema: Schema; resolve: (ref: string) => Schema }>();

  /** `openapiDir`: the Kubernetes group files; `crdDir`: CRD YAML files (KEDA's). */
  constructor(openapiDir: string, crdDir: string) {
    for (const file of readdirSync(openapiDir).filter((f) => f.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(join(openapiDir, file), 'utf8')) as {
        components?: { schemas?: Record<string, Schema> };
      };
      const schemas = doc.components?.schemas ?? {};
      const resolve = (ref: string) => schemas[ref.replace('#/components/schemas/', '')]!;
      for (const schema of Object.values(schemas)) {
        const gvks = (schema['x-kubernetes-group-version-kind'] ?? []) as {
          group: string;
          version: string;
          kind: string;
        }[];
        for (const { group, version, kind } of gvks)
          this.byGvk.set(`${group ? `${group}/` : ''}${version}/${kind}`, { schema, resolve });
      }
    }
    for (const file of readdirSync(crdDir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), 'utf8'))) {
        const crd = doc.toJS() as {
          spec: {
            group: string;
            names: { kind: string };
            versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
          };
        };
        for (const version of crd.spec.versions)
          this.byGvk.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, {
            schema: version.schema.openAPIV3Schema,
            resolve: () => ({}),
          });
      }
    }
  }

  get size(): number {
    return this.byGvk.size;
  }

  /** Every problem of one object, each `Kind/name: path: message`. */
  validate(object: KubeObject): string[] {
    const entry = this.byGvk.get(`${object.apiVersion}/${object.kind}`);
    const name = `${object.kind}/${object.metadata?.name ?? '?'}`;
    if (!entry) return [`${name}: no schema for apiVersion ${object.apiVersion}, kind ${object.kind}`];
    const problems: string[] = [];
    check(object, entry.schema, '', entry.resolve, (path, message) =>
      problems.push(`${name}: ${path || '(object)'}: ${message}`),
    );
    return problems;
  }
}

type Report = (path: string, message: string) => void;

const typeOf = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : Number.isInteger(value)
        ? 'integer'
        : typeof value;

function fits(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function check(
  value: unknown,
  schema: Schema,
  path: string,
  resolve: (ref: string) => Schema,
  report: Report,
): void {
  if (typeof schema.$ref === 'string') return check(value, resolve(schema.$ref), path, resolve, report);
  for (const part of (schema.allOf ?? []) as Schema[]) check(value, part, path, resolve, report);
  const choices = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (choices && !choices.some((choice) => problemsOf(value, choice, resolve) === 0)) {
    report(
      path,
      `expected ${choices.map((c) => (typeof c.type === 'string' ? c.type : 'a variant')).join(' or ')}, got ${typeOf(value)}`,
    );
    return;
  }
  if (value === null && schema.nullable) return;
  if (schema['x-kubernetes-int-or-string']) {
    if (!fits(value, 'integer') && !fits(value, 'string'))
      report(path, `expected an integer or a string, got ${typeOf(value)}`);
    return;
  }
  const type = (schema.type as string | undefined) ?? (schema.properties ? 'object' : undefined);
  if (type && !fits(value, type)) {
    report(path, `expected ${type}, got ${typeOf(value)} ${JSON.stringify(value)?.slice(0, 60)}`);
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    report(
      path,
      `expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`,
    );
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum)
    report(path, `expected at least ${schema.minimum}, got ${value}`);
  if (Array.isArray(value) && schema.items)
    value.forEach((item, i) => check(item, schema.items as Schema, `${path}[${i}]`, resolve, report));
  if (typeOf(value) === 'object')
    checkObject(value as Record<string, unknown>, schema, path, resolve, report);
}

function checkObject(
  value: Record<string, unknown>,
  schema: Schema,
  path: string,
  resolve: (ref: string) => Schema,
  report: Report,
): void {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  for (const key of (schema.required ?? []) as string[])
    if (!(key in value)) report(join2(path, key), 'is required');
  const open = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const extra = schema.additionalProperties as Schema | boolean | undefined;
  for (const [key, child] of Object.entries(value)) {
    const at = join2(path, key);
    if (properties[key]) check(child, properties[key], at, resolve, report);
    else if (typeof extra === 'object') check(child, extra, at, resolve, report);
    else if (!open && extra !== true && (schema.properties !== undefined || extra === false))
      report(at, `unknown field (known: ${Object.keys(properties).sort().join(', ')})`);
  }
}

function problemsOf(value: unknown, schema: Schema, resolve: (ref: string) => Schema): number {
  let count = 0;
  check(value, schema, '', resolve, () => count++);
  return count;
}

const join2 = (path: string, key: string) => (path ? `${path}.${key}` : key);
