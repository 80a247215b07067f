/**
 * What `tributary test` can test: one subject per kind of file, named by the key that points a test
 * file at the tested file (`pipeline: cases-to-postgres.yaml`). Adding a kind is one module
 * implementing TestSubject and one line in `cli/testing/subjects.ts`.
 */
import type { Registry } from '../../runtime/registry/index.js';
import type { Difference } from './compare.js';
import type { TestFile } from './test-file.js';

export interface CaseOutcome {
  name: string;
  /** Paths are inside the test file (`tests[2].expect.cases[0].value`); empty when the test passed. */
  differences: Difference[];
}

export interface SubjectInput {
  test: TestFile;
  /** The tested file, resolved against the test file's folder. */
  file: string;
  env: Record<string, string>;
  set: string[];
  registry: Registry;
}

export interface TestSubject {
  /** The key in a test file naming the tested file, e.g. `pipeline`. */
  key: string;
  /** One line for `tributary test --help` and the README. */
  summary: string;
  /**
   * Loads the tested file and runs every test in the test file. Throws TestFileError when the
   * test file or the tested file is unusable (exit 2); a failing expectation is a difference.
   */
  run(input: SubjectInput): Promise<CaseOutcome[]>;
}
