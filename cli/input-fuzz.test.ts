/**
 * A seeded fuzz of every kind of file the offline commands read: a few hundred mutations of the
 * shipped pipeline YAML, UCR configurations, documents and XForms. Each run must end in exit 0
 * (the mutation is still valid) or exit 2 with `file:line:col …` first; any other exit code or a
 * stack trace fails, naming the seed, the file and the mutation so it can be replayed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tributary } from './tributary.js';

const seed = Number(process.env.TRIBUTARY_FUZZ_SEED ?? 20261203);
const dir = mkdtempSync(join(tmpdir(), 'tributary-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: small, seeded, good enough to pick mutations reproducibly. */
function random(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const syntax = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '"',
  "'",
  '\n',
  ' ',
  '-',
  '#',
  '&',
  '*',
  '!',
  '|',
  '>',
  '<',
  '/',
  '\\',
  '\t',
  '%',
  '\u0000',
  'é',
];

/** One mutation of `text`, and what it was, for the failure message. */
function mutate(text: string, next: () => number): { text: string; what: string } {
  const at = Math.floor(next() * text.length);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const lines = text.split('\n');
  const line = Math.floor(next() * lines.length);
  switch (Math.floor(next() * 7)) {
    case 0:
      return { text: text.slice(0, at) + text.slice(at + 1), what: `delete char ${at}` };
    case 1: {
      const c = pick(syntax);
      return { text: text.slice(0, at) + c + text.slice(at), what: `insert ${JSON.stringify(c)} at ${at}` };
    }
    case 2:
      return { text: text.slice(0, at), what: `truncate at ${at}` };
    case 3:
      lines.splice(line, 1);
      return { text: lines.join('\n'), what: `delete line ${line + 1}` };
    case 4:
      lines.splice(line, 0, lines[line] ?? '');
      return { text: lines.join('\n'), what: `duplicate line ${line + 1}` };
    case 5: {
      // Replace a word or number with another value of the file: wrong types, unknown names.
      const words = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]*|\d+/g)];
      if (!words.length) return { text, what: 'no change' };
      const word = pick(words);
      const other = pick([...words.map((w) => w[0]), '-1', '1e999', 'null', 'true', '[]', '{}', '""']);
      return {
        text: text.slice(0, word.index) + other + text.slice(word.index + word[0].length),
        what: `replace ${JSON.stringify(word[0])} at ${word.index} with ${JSON.stringify(other)}`,
      };
    }
    default: {
      const b = Math.floor(next() * text.length);
      const [i, j] = at < b ? [at, b] : [b, at];
      return {
        text: text.slice(0, i) + text[j] + text.slice(i + 1, j) + text[i] + text.slice(j + 1),
        what: `swap chars ${i} and ${j}`,
      };
    }
  }
}

const list = (folder: string, pattern: RegExp) =>
  readdirSync(folder)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => join(folder, f));

const examples = 'pipelines/ucr/examples';
/** Each kind of input: the shipped files of that kind, and the command that reads a mutated one. */
const kinds: { name: string; files: string[]; count: number; argv: (file: string) => string[] }[] = [
  {
    name: 'pipeline YAML',
    files: list('pipelines/examples', /\.ya?ml$/),
    count: 80,
    argv: (file) => ['validate', file],
  },
  {
    name: 'UCR data source',
    files: list('pipelines/ucr', /\.json$/),
    count: 60,
    argv: (file) => ['ucr', 'eval', '--config', file, '--docs', `${examples}/followup-forms.jsonl`],
  },
  {
    name: 'UCR expression, filter, indicator',
    files: [`${examples}/expr.json`, `${examples}/filter.json`, `${examples}/indicator.json`],
    count: 45,
    argv: (file) => {
      const kind = basename(file).replace(/-\d+\.json$/, '');
      const flag = { expr: 'expression', filter: 'filter', indicator: 'indicator' }[kind]!;
      return ['ucr', kind, `--${flag}`, file, '--doc', `${examples}/doc.json`];
    },
  },
  {
    name: 'documents',
    files: [`${examples}/doc.json`, `${examples}/followup-forms.jsonl`],
    count: 45,
    argv: (file) =>
      file.endsWith('.jsonl')
        ? ['ucr', 'eval', '--config', 'pipelines/ucr/visit-medications.json', '--docs', file]
        : ['ucr', 'indicator', '--indicator', `${examples}/indicator.json`, '--doc', file],
  },
  {
    name: 'XForm',
    files: list('commcare/xform/fixtures', /\.xml$/),
    count: 70,
    argv: (file) => ['xform', 'parse', file],
  },
];

const located = /^\S+:\d+:\d+[: ]/;

describe(`every parse error of a file the CLI reads (seed ${seed})`, () => {
  it.each(kinds.map((k) => [k.name, k] as const))(
    'exits 0 or 2 with file:line:col for mutated %s files, never 1 or a stack',
    async (_name, kind) => {
      const next = random(seed + kind.name.length * 7919);
      const problems: string[] = [];
      let refused = 0;
      for (let n = 0; n < kind.count; n++) {
        const source = kind.files[n % kind.files.length]!;
        const { text, what } = mutate(readFileSync(source, 'utf8'), next);
        const ext = source.endsWith('.jsonl') ? '.jsonl' : source.slice(source.lastIndexOf('.'));
        const stem = basename(source, ext);
        const file = join(dir, `${stem}-${n}${ext}`);
        writeFileSync(file, text);
        const run = await tributary(kind.argv(file));
        if (run.code === 2) refused++;
        const firstLine = run.err.split('\n')[0] ?? '';
        const ok =
          !/^\s+at /m.test(run.err) &&
          (run.code === 0 || (run.code === 2 && located.test(firstLine) && run.err.includes(file)));
        if (!ok)
          problems.push(
            `${source} #${n} (${what}): exit ${run.code}: ${run.err.split('\n').slice(0, 3).join(' | ')}`,
          );
      }
      expect(problems).toEqual([]);
      // The mutations bite: many of them make the file invalid.
      expect(refused).toBeGreaterThan(kind.count / 4);
    },
  );
});
