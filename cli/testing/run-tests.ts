/**
 * Runs `*.test.yaml` files and prints each test's outcome; a failure shows every difference with the
 * test file's line and column, so the reader goes straight to the expectation that no longer holds.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Registry } from '../../runtime/registry/index.js';
import { testSubjects } from './subjects.js';
import { parseSection, readTestFile, testFileCommon, TestFileError } from './test-file.js';
import type { CaseOutcome } from './test-subject.js';

export interface TestRunSummary {
  passed: number;
  failed: number;
  /** Test files that could not run (bad YAML, unknown keys, a tested file that does not load). */
  broken: number;
}

export interface TestRunOptions {
  registry: Registry;
  /** `--set` overrides from the command line, applied after each file's own `set:`. */
  set?: readonly string[];
  out?: (line: string) => void;
}

/** Test files as given; a folder stands for every `*.test.yaml` below it. */
export async function expandTestFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(path);
      continue;
    }
    const entries = await readdir(path, { recursive: true });
    files.push(
      ...entries
        .filter((e) => /\.test\.ya?ml$/.test(e))
        .sort()
        .map((e) => join(path, e)),
    );
  }
  return files;
}

export async function runTestFiles(
  paths: readonly string[],
  options: TestRunOptions,
): Promise<TestRunSummary> {
  const out = options.out ?? ((line: string) => console.log(line));
  const summary: TestRunSummary = { passed: 0, failed: 0, broken: 0 };
  const files = await expandTestFiles(paths);
  if (!files.length) {
    out(`No *.test.yaml files in ${paths.join(' ')}.`);
    summary.broken++;
  }
  for (const file of files) {
    out(file);
    try {
      for (const outcome of await runTestFile(file, options)) {
        if (outcome.differences.length) summary.failed++;
        else summary.passed++;
        for (const line of formatOutcome(outcome)) out(line);
      }
    } catch (error) {
      if (!(error instanceof TestFileError)) throw error;
      summary.broken++;
      out(`  ! cannot run: ${error.message.replace(/\n/g, '\n    ')}`);
    }
  }
  out(
    `${summary.passed} test(s) passed, ${summary.failed} failed${summary.broken ? `, ${summary.broken} file(s) could not run` : ''}.`,
  );
  return summary;
}

interface LocatedOutcome extends CaseOutcome {
  /** `file:line:col` of each difference, in order. */
  where: string[];
}

async function runTestFile(file: string, options: TestRunOptions): Promise<LocatedOutcome[]> {
  const test = await readTestFile(file);
  const keys = Object.keys(test.data);
  const subjects = testSubjects.filter((s) => keys.includes(s.key));
  if (subjects.length !== 1)
    throw new TestFileError(
      `${test.at([])} (file): expected exactly one of ${testSubjects.map((s) => `${s.key}:`).join(', ')} naming the tested file`,
    );
  const subject = subjects[0]!;
  const known = z.object({
    ...testFileCommon.shape,
    [subject.key]: z.string().min(1),
    description: z.string().optional(),
    tests: z.unknown(),
  });
  const common = parseSection(test, known.strict(), test.data, []);
  const outcomes = await subject.run({
    test,
    file: resolve(test.folder, (common as Record<string, unknown>)[subject.key] as string),
    env: common.env,
    set: [...common.set, ...(options.set ?? [])],
    registry: options.registry,
  });
  return outcomes.map((o) => ({ ...o, where: o.differences.map((d) => test.at(d.path)) }));
}

function formatOutcome(outcome: LocatedOutcome): string[] {
  if (!outcome.differences.length) return [`  ✓ ${outcome.name}`];
  return [
    `  ✗ ${outcome.name}`,
    ...outcome.differences.map((d, i) => `      ${outcome.where[i]} ${pathText(d.path)}: ${d.message}`),
  ];
}

const pathText = (path: readonly (string | number)[]) =>
  path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
