/**
 * How to carry the free-form parts of a change event in Avro, measured: the form body (the
 * question tree, different for every form) and the case properties (project-defined names). The
 * numbers behind the choice in schemas/README.md. Each candidate encodes and decodes the part of
 * realistic documents (bench/documents.ts) to and from the plain JS value processors work on;
 * `JSON.stringify`/`JSON.parse` of the same part, to and from bytes, is the baseline. Prints JSON
 * and writes it to bench/results/free-form.json (run from the repository root).
 *
 * Run: see bench/README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import avro from 'avsc';
import { followUpVisitBody, householdMemberCase } from './documents.js';
import { measureAll, round, type Contender, type MeasureOptions } from './measure.js';

const measureOptions: MeasureOptions = { roundMs: Number(process.env.BENCH_ROUND_MS ?? 250), rounds: 5 };

/** The free-form part as an Avro string holding JSON text. */
const jsonText = avro.Type.forSchema({
  type: 'record',
  name: 'Part',
  fields: [{ name: 'part', type: 'string' }],
});

/**
 * A recursive Avro JSON value. Avro recursion needs a named type, so every node is a record
 * around a union; a logical type strips that wrapper so the decoded value is the plain object.
 */
class JsonTreeType extends avro.types.LogicalType {
  protected override _fromValue(node: { value: unknown }): unknown {
    return node.value;
  }
  protected override _toValue(value: unknown): { value: unknown } {
    return { value };
  }
  protected override _resolve(type: avro.Type): ((value: unknown) => unknown) | undefined {
    return avro.Type.isType(type, 'logical:json-tree') ? (value) => value : undefined;
  }
}
const jsonTree = avro.Type.forSchema(
  {
    type: 'record',
    name: 'Part',
    fields: [
      {
        name: 'part',
        type: {
          type: 'record',
          name: 'JsonNode',
          logicalType: 'json-tree',
          fields: [
            {
              name: 'value',
              type: [
                'null',
                'boolean',
                'double',
                'string',
                { type: 'array', items: 'JsonNode' },
                { type: 'map', values: 'JsonNode' },
              ],
            },
          ],
        },
      },
    ],
  },
  { logicalTypes: { 'json-tree': JsonTreeType }, omitRecordMethods: true },
);

/** A map of text: the natural Avro type of a flat object of strings (case properties). */
const stringMap = avro.Type.forSchema({
  type: 'record',
  name: 'Part',
  fields: [{ name: 'part', type: { type: 'map', values: 'string' } }],
});

/** Answers flattened to a map of path to text (`children/1/child_name`), the tree rebuilt on decode. */
function flatten(value: unknown, path: string, out: Record<string, string>): Record<string, string> {
  if (Array.isArray(value)) value.forEach((item, i) => flatten(item, `${path}/${i}`, out));
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) flatten(item, path ? `${path}/${key}` : key, out);
  else out[path] = String(value);
  return out;
}
function unflatten(flat: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, text] of Object.entries(flat)) {
    const parts = path.split('/');
    let node: Record<string, unknown> = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const nextIsIndex = /^\d+$/.test(parts[i + 1]!);
      node = (node[parts[i]!] ??= nextIsIndex ? [] : {}) as Record<string, unknown>;
    }
    node[parts.at(-1)!] = text;
  }
  return root;
}

interface Candidate {
  encode(part: Record<string, unknown>): Buffer;
  decode(bytes: Buffer): unknown;
  /** False when the decoded value is not the plain object (shown for what the Avro part alone costs). */
  plain?: false;
}

const candidates: Record<string, Candidate> = {
  'json-text (chosen)': {
    encode: (part) => jsonText.toBuffer({ part: JSON.stringify(part) }),
    decode: (bytes) => JSON.parse((jsonText.fromBuffer(bytes) as { part: string }).part) as unknown,
  },
  'json-text, left unparsed': {
    encode: (part) => jsonText.toBuffer({ part: JSON.stringify(part) }),
    decode: (bytes) => (jsonText.fromBuffer(bytes) as { part: string }).part,
    plain: false,
  },
  'avro-json-tree': {
    encode: (part) => jsonTree.toBuffer({ part }),
    decode: (bytes) => (jsonTree.fromBuffer(bytes) as { part: unknown }).part,
  },
};
const formCandidates: Record<string, Candidate> = {
  ...candidates,
  'flat-map-of-text': {
    encode: (part) => stringMap.toBuffer({ part: flatten(part, '', {}) }),
    decode: (bytes) => unflatten((stringMap.fromBuffer(bytes) as { part: Record<string, string> }).part),
  },
};
const propertyCandidates: Record<string, Candidate> = {
  ...candidates,
  'avro-map-of-text': {
    encode: (part) => stringMap.toBuffer({ part }),
    decode: (bytes) => (stringMap.fromBuffer(bytes) as { part: unknown }).part,
  },
};

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const pick = <T>(items: readonly T[], i: number): T => items[i % items.length]!;

async function compare(name: string, parts: Record<string, unknown>[], options: Record<string, Candidate>) {
  const text = parts.map((part) => JSON.stringify(part));
  const bytes = text.map((t) => Buffer.from(t));
  const encoded = Object.fromEntries(
    Object.entries(options).map(([representation, candidate]) => {
      const all = parts.map((part) => candidate.encode(part));
      if (candidate.plain !== false && JSON.stringify(candidate.decode(all[0]!)) !== text[0]) {
        throw new Error(`${representation} does not give the ${name} back`);
      }
      return [representation, all];
    }),
  );
  const contenders: Record<string, Contender> = {
    'json encode': (i) => Buffer.from(JSON.stringify(pick(parts, i))),
    'json decode': (i) => JSON.parse(pick(bytes, i).toString('utf8')) as unknown,
  };
  for (const [representation, candidate] of Object.entries(options)) {
    contenders[`${representation} encode`] = (i) => candidate.encode(pick(parts, i));
    contenders[`${representation} decode`] = (i) => candidate.decode(pick(encoded[representation]!, i));
  }
  const perSecond = await measureAll(contenders, measureOptions);
  const baseline = {
    representation: "JSON.stringify to bytes / JSON.parse(bytes.toString('utf8'))",
    bytes: round(mean(bytes.map((b) => b.length))),
    encodePerSecond: round(perSecond['json encode']!),
    decodePerSecond: round(perSecond['json decode']!),
  };
  const results = Object.keys(options).map((representation) => {
    const size = mean(encoded[representation]!.map((b) => b.length));
    const encodePerSecond = perSecond[`${representation} encode`]!;
    const decodePerSecond = perSecond[`${representation} decode`]!;
    return {
      representation,
      bytes: round(size),
      encodePerSecond: round(encodePerSecond),
      decodePerSecond: round(decodePerSecond),
      sizeToJson: round(size / baseline.bytes),
      encodeToJson: round(encodePerSecond / perSecond['json encode']!),
      decodeToJson: round(decodePerSecond / perSecond['json decode']!),
    };
  });
  return { part: name, baseline, results };
}

const bodies = Array.from({ length: 256 }, (_, i) => followUpVisitBody(i + 1, `case-${i}`, `user-${i}`));
const properties = Array.from({ length: 256 }, (_, i) => householdMemberCase(i + 1).properties);
const output = JSON.stringify(
  {
    benchmark: 'free-form',
    node: process.version,
    measurement: { ...measureOptions, rule: 'best of the rounds, contenders taken in turn' },
    note: 'Per second, one part at a time; ratios to the JSON baseline, above 1 is better (smaller for size).',
    parts: [
      await compare(
        'form body: follow-up visit, 61 answers incl. a repeat group of 3',
        bodies,
        formCandidates,
      ),
      await compare('case properties: household member, 40 properties', properties, propertyCandidates),
    ],
  },
  null,
  2,
);
console.log(output);
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/free-form.json', `${output}\n`);
