import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../command.js';
import { testCommand } from '../commands/test.js';
import { registry } from '../registry.js';
import { runTestFiles } from './run-tests.js';

const run = async (paths: string[], set: string[] = []) => {
  const lines: string[] = [];
  const summary = await runTestFiles(paths, { registry, set, out: (line) => lines.push(line) });
  return { summary, text: lines.join('\n') };
};

/** A copy of a shipped test file and the file it tests, with `edit` applied to the test. */
function alteredCopy(folder: string, test: string, tested: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-test-'));
  cpSync(join(folder, tested), join(dir, tested));
  writeFileSync(join(dir, test), edit(readFileSync(join(folder, test), 'utf8')));
  return join(dir, test);
}

describe('tributary test', () => {
  it('passes on every shipped test file', async () => {
    const { summary, text } = await run(['pipelines']);
    expect(text).not.toMatch(/✗|cannot run/);
    expect(summary).toMatchObject({ failed: 0, broken: 0 });
    expect(summary.passed).toBeGreaterThanOrEqual(15);
  });

  it('has a test file beside every shipped pipeline and UCR data source', () => {
    const shipped = [
      ...readdirSync('pipelines/examples')
        .filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))
        .map((f) => `pipelines/examples/${f}`),
      ...readdirSync('pipelines/ucr')
        .filter((f) => f.endsWith('.json'))
        .map((f) => `pipelines/ucr/${f}`),
    ];
    const tests = readdirSync('pipelines', { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.test.yaml'));
    const missing = shipped.filter(
      (file) => !tests.includes(file.replace(/^pipelines\//, '').replace(/\.(yaml|json)$/, '.test.yaml')),
    );
    expect(missing).toEqual([]);
  });

  it('fails an altered data source test with the line of the expectation and both values', async () => {
    const file = alteredCopy(
      'pipelines/ucr',
      'household-register.test.yaml',
      'household-register.json',
      (t) => t.replace('          village: Kasese\n', '          village: Bondo\n'),
    );
    const { summary, text } = await run([file]);
    expect(summary).toMatchObject({ failed: 1, broken: 0 });
    expect(text).toContain(`${file}:21:11 tests[0].expect.rows[0].village: expected "Bondo", got "Kasese"`);
  });

  it('fails an altered pipeline test naming the sink record and a missing one', async () => {
    const file = alteredCopy(
      'pipelines/examples',
      'cases-to-postgres.test.yaml',
      'cases-to-postgres.yaml',
      (t) =>
        t.replace(
          /\n {8}- key: c2\n {10}value: null\n/,
          '\n        - key: c3\n          value: null\n        - key: c4\n          value: null\n',
        ),
    );
    const { summary, text } = await run([file]);
    expect(summary.failed).toBe(1);
    expect(text).toMatch(/:34:11 tests\[0\]\.expect\.cases\[2\]\.key: expected "c3", got "c2"/);
    expect(text).toMatch(
      /:36:11 tests\[0\]\.expect\.cases\[3\]: expected \{"key":"c4","value":null\}, got nothing/,
    );
  });

  it('reports a dead letter nobody expected, and passes when the test expects it', async () => {
    const misrouted = (t: string) =>
      t.replace(
        '      - key: c2\n        value: null\n',
        '      - key: c2\n        value: null\n        routing: { sink: archive }\n',
      );
    const unexpected = alteredCopy(
      'pipelines/examples',
      'cases-to-postgres.test.yaml',
      'cases-to-postgres.yaml',
      misrouted,
    );
    const { text } = await run([unexpected]);
    expect(text).toMatch(
      /tests\[0\]\.expect\.deadLetters\[0\]: unexpected item \{"key":"c2","stage":"route"\}/,
    );
    expect(text).toMatch(/tests\[0\]\.expect\.cases\[2\]: expected \{"key":"c2","value":null\}, got nothing/);

    const expected = alteredCopy(
      'pipelines/examples',
      'cases-to-postgres.test.yaml',
      'cases-to-postgres.yaml',
      (t) =>
        misrouted(t).replace(
          /\n {8}- key: c2\n {10}value: null\n/,
          "\n      deadLetters:\n        - { key: c2, stage: route, error: no sink named 'archive' }\n",
        ),
    );
    const { summary, text: passing } = await run([expected]);
    expect(passing).not.toContain('✗');
    expect(summary.passed).toBe(1);
  });

  it('refuses a pipeline whose ucr stage names no ucr-catalog resource (a load error naming the path)', async () => {
    const file = alteredCopy(
      'pipelines/examples',
      'cases-to-postgres.test.yaml',
      'cases-to-postgres.yaml',
      (t) =>
        t.replace(
          'pipeline: cases-to-postgres.yaml',
          "pipeline: cases-to-postgres.yaml\nset: ['processors=[{type: ucr}]']",
        ),
    );
    const { summary, text } = await run([file]);
    expect(summary.broken).toBe(1);
    expect(text).toMatch(/processors\[0\]\.catalog.*ucr-catalog resource/);
  });

  it('applies --set overrides to the tested pipeline', async () => {
    const { summary, text } = await run(
      ['pipelines/examples/cases-to-postgres.test.yaml'],
      ['sinks.cases.type=memory', 'sinks.cases={type: memory}'],
    );
    expect(text).not.toContain('cannot run');
    expect(summary.passed).toBe(1);
  });

  it('refuses a test file that names no tested file, or an unknown key, as unusable (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-test-'));
    writeFileSync(join(dir, 'a.test.yaml'), 'tests: []\n');
    writeFileSync(join(dir, 'b.test.yaml'), 'dataSource: x.json\ncolour: red\ntests: []\n');
    const { summary, text } = await run([dir]);
    expect(summary.broken).toBe(2);
    expect(text).toContain('a.test.yaml:1:1 (file): expected exactly one of pipeline:, dataSource:');
    expect(text).toMatch(
      /b\.test\.yaml:1:1 \(file\): Unrecognized key: "colour"|b\.test\.yaml:\d+:\d+ .*colour/,
    );
  });

  it('exits 0 when every test passes, 1 on a failure, 2 for an unusable file, and refuses a bad --set as a usage error', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const failing = alteredCopy(
        'pipelines/ucr',
        'open-cases-by-owner.test.yaml',
        'open-cases-by-owner.json',
        (t) => t.replace('count: 1 }', 'count: 2 }'),
      );
      expect(await testCommand(['pipelines/ucr/open-cases-by-owner.test.yaml'], [], registry)).toBe(0);
      expect(await testCommand([failing], [], registry)).toBe(1);
      expect(await testCommand(['no/such.test.yaml'], [], registry)).toBe(2);
      // Bad --set syntax is a usage error: the command layer prints the usage and exits 2.
      await expect(testCommand(['pipelines/ucr'], ['no-equals-sign'], registry)).rejects.toThrow(UsageError);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });
});
