import { describe, expect, it } from 'vitest';
import { tributary } from '../tributary.js';

const fixtures = 'test/fixtures/broken-pipelines';

const errors: string[] = [];
const logs: string[] = [];
function capture() {
  errors.length = 0;
  logs.length = 0;
  return { errors, logs };
}

/** `tributary validate <paths>`, its lines collected into `errors` and `logs`. */
async function validate(paths: string[]): Promise<number> {
  const run = await tributary(['validate', ...paths]);
  if (run.err) errors.push(...run.err.split('\n'));
  if (run.out) logs.push(...run.out.split('\n'));
  return run.code;
}

describe('tributary validate', () => {
  it('reports every problem of every file as file:line:col path: message and exits 2', async () => {
    const { errors } = capture();
    expect(await validate([fixtures])).toBe(2);
    expect(errors).toEqual([
      `${fixtures}/bad-fields.yaml:1:7 name: expected lowercase letters, digits, ".", "_" or "-", starting with a letter`,
      `${fixtures}/bad-fields.yaml:4:11 source.topics: expected array, received string`,
      `${fixtures}/bad-fields.yaml:5:3 source.fromBegining: unknown key for source 'kafka'`,
      `${fixtures}/bad-fields.yaml:8:5 processors[0].mode: unknown key for processor 'noop'`,
      `${fixtures}/bad-fields.yaml:10:3 sinks.table.table: is required (expected string)`,
      `${fixtures}/bad-fields.yaml:12:11 sinks.table.mode: expected one of "document"|"columns"`,
      `${fixtures}/bad-fields.yaml:14:16 delivery.maxInFlight: Too small: expected number to be >0`,
      `${fixtures}/bad-fields.yaml:15:3 delivery.retries: unknown key`,
      `${fixtures}/no-sinks.yaml:1:1 sinks: is required (expected record)`,
      `${fixtures}/typo-source.yaml:3:9 source.type: unknown source type 'kafak'; did you mean 'kafka'?`,
      `${fixtures}/ucr-without-catalog.yaml:4:5 processors[0].catalog: is required: the name of a ucr-catalog resource declared under resources:`,
      `${fixtures}/ucr-without-catalog.yaml:4:5 processors[0].sink: is required: the name of a ucr-postgres sink of this pipeline`,
      `${fixtures}/ucr-wrong-references.yaml:8:14 processors[0].catalog: no resource named 'ucrr' (declare one of type ucr-catalog under resources:); did you mean 'ucr'?`,
      `${fixtures}/ucr-wrong-references.yaml:9:11 processors[0].sink: sink 'out' is a log sink; expected ucr-postgres`,
      `${fixtures}/ucr-wrong-references.yaml:12:11 processors[1].sink: sink 'reports' has catalog: "other" and this processor catalog: "ucr"; they must name the same one`,
      '5 of 5 pipeline file(s) invalid.',
    ]);
  });

  it('names where the settings of a ucr-postgres sink of an older file went', async () => {
    const { errors } = capture();
    const old = 'test/fixtures/old-pipelines/ucr-sink-with-catalog-settings.yaml';
    expect(await validate([old])).toBe(2);
    expect(errors).toContain(
      `${old}:12:5 sinks.reports.configFolder: unknown key for sink 'ucr-postgres': it belongs to the ucr-catalog resource the sink names (resources: { ucr: { type: ucr-catalog, … } })`,
    );
  });

  it('accepts the shipped pipelines and exits 0', async () => {
    const { errors, logs } = capture();
    expect(await validate(['pipelines'])).toBe(0);
    expect(errors).toEqual([]);
    expect(logs[0]).toMatch(/^\d+ pipeline file\(s\) valid\.$/);
  });

  it('names a file it cannot read', async () => {
    const { errors } = capture();
    expect(await validate(['nowhere.yaml'])).toBe(2);
    expect(errors[0]).toMatch(/^nowhere\.yaml:1:1 \(file\): cannot read the file: ENOENT/);
  });
});
