import { describe, expect, it } from 'vitest';
import { searchQueryCommand } from './search.js';

async function run(values: Record<string, string | boolean | string[]>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await searchQueryCommand(values, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tributary search query', () => {
  it('prints the compiled plan with --explain, connecting to nothing', async () => {
    const result = await run({
      domain: 'demo',
      'case-type': ['household'],
      xpath: ["village = 'Bondo' and subcase-exists('parent', age >= 60)"],
      explain: true,
    });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.out) as {
      caseTypes: string[];
      plan: { kind: string; parts: { kind: string }[] };
    };
    expect(printed.caseTypes).toEqual(['household']);
    expect(printed.plan.parts.map((p) => p.kind)).toEqual(['dsl', 'and']);
    expect(result.out).toContain('"kind": "subcase"');
  });

  it('exits 2 naming the column of a bad query, with a caret under it', async () => {
    const result = await run({ domain: 'demo', 'case-type': ['household'], xpath: ['age >'], explain: true });
    expect(result.code).toBe(2);
    expect(result.err).toContain('at column 6: expected a property name');
    expect(result.err).toContain('\n  age >\n       ^');
  });

  it('exits 2 without a domain or a case type, or with an unknown time zone', async () => {
    expect((await run({ 'case-type': ['x'], explain: true })).code).toBe(2);
    expect((await run({ domain: 'demo', explain: true })).code).toBe(2);
    expect(
      (await run({ domain: 'demo', 'case-type': ['x'], 'time-zone': 'Mars/Olympus', explain: true })).code,
    ).toBe(2);
  });
});
