/**
 * A `*.test.yaml` file: which file it tests (one subject key, e.g. `pipeline:` or `dataSource:`),
 * optional `env` and `set` overrides, and `tests:`, each with a name, inputs and `expect`. Keeps
 * the parsed YAML document so every difference can be reported at the line it was written on.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import type { Path } from './compare.js';

export const testFileCommon = z.object({
  env: z
    .record(z.string(), z.string())
    .default({})
    .describe('Environment variables for ${VAR} references in the tested file (nothing else is read).'),
  set: z
    .array(z.string())
    .default([])
    .describe('`path=value` overrides of the tested file, as `--set` on the command line.'),
});

export class TestFileError extends Error {
  override readonly name = 'TestFileError';
}

export interface TestFile {
  file: string;
  /** The folder the tested file and any input files are relative to. */
  folder: string;
  data: Record<string, unknown>;
  /** `file:line:col` of a path in the test file (the nearest node that exists). */
  at(path: Path): string;
}

export async function readTestFile(file: string): Promise<TestFile> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new TestFileError(`${file}: cannot read the file: ${error.message}`);
  });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0] ?? { line: 1, col: 1 };
    throw new TestFileError(`${file}:${pos.line}:${pos.col} YAML syntax: ${first.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS();
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new TestFileError(`${file}:1:1 (file): expected a mapping with the tested file and tests:`);
  return {
    file,
    folder: dirname(resolve(file)),
    data: data as Record<string, unknown>,
    at: (path) => {
      const { line, col } = lines.linePos(offsetOf(doc, path));
      return `${file}:${line}:${col}`;
    },
  };
}

function offsetOf(doc: Document, path: Path): number {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const segment of path) {
    if (!isMap(node) && !isSeq(node)) break;
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === segment);
      if (!pair) break;
      offset = (pair.key as { range?: [number] } | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else {
      const item: unknown = typeof segment === 'number' ? node.items[segment] : undefined;
      if (!item) break;
      offset = (item as { range?: [number] }).range?.[0] ?? offset;
      node = item;
    }
  }
  return offset;
}

/** Parses part of a test file with a schema; problems become a TestFileError naming each line. */
export function parseSection<S extends z.ZodType>(
  test: TestFile,
  schema: S,
  value: unknown,
  path: Path,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const at = [...path, ...(issue.path as Path)];
    const where = at
      .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
      .join('')
      .slice(1);
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return `${test.at(at)} ${where || '(file)'}: ${issue.message}${keys}`;
  });
  throw new TestFileError(lines.join('\n'));
}

/** Reads JSON lines (`.jsonl`) or one JSON array, relative to the test file. */
export async function readJsonInputs(test: TestFile, name: string, path: Path): Promise<unknown[]> {
  const file = resolve(test.folder, name);
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new TestFileError(`${test.at(path)}: cannot read ${name}: ${error.message}`);
  });
  try {
    if (file.endsWith('.jsonl'))
      return text
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as unknown);
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? (value as unknown[]) : [value];
  } catch (error) {
    throw new TestFileError(`${test.at(path)}: ${name} is not JSON (lines): ${(error as Error).message}`);
  }
}
