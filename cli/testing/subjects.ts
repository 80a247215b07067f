/**
 * Every kind of file `tributary test` can test, found by the key a test file names it with.
 *
 * Hooks still to fill (their engineers or the lead, once those land):
 * - search mappings: a `searchMapping: <mapping file>` subject whose tests give documents and
 *   expect the index document (`expect: { documents: [...] }`), through commcare/search;
 * - export configurations: an `export: <configuration file>` subject whose tests give documents and
 *   expect each table's rows (`expect: { tables: { <name>: [...] } }`), through commcare/exports.
 * Each is one module implementing TestSubject (cli/testing/test-subject.ts) and one line below.
 */
import { pipelineSubject } from './pipeline-subject.js';
import type { TestSubject } from './test-subject.js';
import { ucrDataSourceSubject } from './ucr-data-source-subject.js';

export const testSubjects: readonly TestSubject[] = [pipelineSubject, ucrDataSourceSubject] as const;
