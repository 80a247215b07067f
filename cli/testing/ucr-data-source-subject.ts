/**
 * `dataSource: <configuration.json>`: CommCare documents, applied in order, → the rows the data
 * source's table holds afterwards (the same rules as the live table and `tributary ucr eval`).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { UcrLookups } from '../../commcare/ucr/contract.js';
import { compileDataSource, parseJsonValues } from '../../commcare/ucr/index.js';
import { tableAfter } from '../ucr-table-after.js';
import { compareValues } from './compare.js';
import { parseSection, readJsonInputs, TestFileError } from './test-file.js';
import type { CaseOutcome, SubjectInput, TestSubject } from './test-subject.js';

const dataSourceCase = z
  .object({
    name: z.string().min(1),
    documents: z.array(z.unknown()).optional().describe('CommCare documents (forms, cases…), in order.'),
    documentsFile: z.string().optional().describe('The documents as JSON lines or a JSON array.'),
    relatedDocs: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('id → document, served to every lookup by id (related_doc, indexed cases, users…).'),
    expect: z.object({ rows: z.array(z.record(z.string(), z.unknown())) }).strict(),
  })
  .strict();

export const ucrDataSourceSubject: TestSubject = {
  key: 'dataSource',
  summary: 'A UCR data source configuration: documents → the rows of its table.',
  async run({ test, file }: SubjectInput): Promise<CaseOutcome[]> {
    let dataSource;
    try {
      dataSource = compileDataSource(parseJsonValues(await readFile(file, 'utf8')), { path: file });
    } catch (error) {
      throw new TestFileError(`${file}: ${(error as Error).message}`);
    }
    const cases = parseSection(test, z.array(dataSourceCase).min(1), test.data.tests, ['tests']);
    const outcomes: CaseOutcome[] = [];
    for (const [i, testCase] of cases.entries()) {
      const at = ['tests', i];
      if (!testCase.documents && !testCase.documentsFile)
        throw new TestFileError(`${test.at(at)} tests: each test needs documents: or documentsFile:`);
      const docs = testCase.documentsFile
        ? await readJsonInputs(test, testCase.documentsFile, [...at, 'documentsFile'])
        : testCase.documents!;
      const related = testCase.relatedDocs;
      const lookups: UcrLookups = { get: (key) => (Object.hasOwn(related, key.id) ? related[key.id] : null) };
      const rows = [...tableAfter(dataSource, docs, lookups).values()].flat().map((row) => {
        const { inserted_at: _insertedAt, ...rest } = row;
        return rest;
      });
      outcomes.push({
        name: testCase.name,
        differences: compareValues(testCase.expect.rows, JSON.parse(JSON.stringify(rows)) as unknown, [
          ...at,
          'expect',
          'rows',
        ]),
      });
    }
    return outcomes;
  },
};
