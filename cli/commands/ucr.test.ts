import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tributary } from '../tributary.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ucr-command-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const { code, out, err } = await tributary(['ucr', ...args]);
  const lines = (text: string) => (text === '' ? [] : text.split('\n'));
  return { code, out: lines(out), err: lines(err) };
}

describe('tributary ucr', () => {
  it('expr prints the value and --typed its kind', async () => {
    const expr = await file('e.json', { type: 'property_name', property_name: 't', datatype: 'decimal' });
    const doc = await file('d.json', { t: '61.50' });
    expect(await run(['expr', '--expression', expr, '--doc', doc])).toEqual({
      code: 0,
      out: ['61.5'],
      err: [],
    });
    expect((await run(['expr', '--expression', expr, '--doc', doc, '--typed'])).out).toEqual([
      '{"type":"decimal","value":61.5}',
    ]);
  });

  it('expr keeps a JSON 5.0 a float', async () => {
    const expr = await file('e2.json', { type: 'property_name', property_name: 'x', datatype: 'string' });
    const doc = await file('d2.json', '{"x": 5.0}');
    expect((await run(['expr', '--expression', expr, '--doc', doc])).out).toEqual(['"5.0"']);
  });

  it('expr serves related docs from the context file', async () => {
    const expr = await file('e3.json', {
      type: 'related_doc',
      related_doc_type: 'CommCareCase',
      doc_id_expression: { type: 'property_name', property_name: 'parent' },
      value_expression: { type: 'property_name', property_name: 'village' },
    });
    const doc = await file('d3.json', { parent: 'h1', domain: 'demo' });
    const context = await file('c3.json', { related_docs: { h1: { domain: 'demo', village: 'Kasese' } } });
    expect((await run(['expr', '--expression', expr, '--doc', doc, '--context', context])).out).toEqual([
      '"Kasese"',
    ]);
  });

  it('filter prints true or false', async () => {
    const filter = await file('f.json', {
      type: 'boolean_expression',
      expression: { type: 'property_name', property_name: 'v' },
      operator: 'gt',
      property_value: 21,
    });
    expect(
      (await run(['filter', '--filter', filter, '--doc', await file('d4.json', { v: '9' })])).out,
    ).toEqual(['true']);
    expect((await run(['filter', '--filter', filter, '--doc', await file('d5.json', { v: 9 })])).out).toEqual(
      ['false'],
    );
  });

  it('indicator prints its columns', async () => {
    const indicator = await file('i.json', {
      type: 'choice_list',
      column_id: 'c',
      property_name: 'v',
      choices: ['a', 'b'],
      select_style: 'multiple',
    });
    expect(
      (await run(['indicator', '--indicator', indicator, '--doc', await file('d6.json', { v: 'b' })])).out,
    ).toEqual(['{"c_a":0,"c_b":1}']);
  });

  it('eval keeps the latest version of each doc and removes deleted or non-matching ones', async () => {
    const config = await file('ds.json', {
      domain: 'demo',
      referenced_doc_type: 'CommCareCase',
      table_id: 't',
      configured_filter: {
        type: 'boolean_expression',
        expression: { type: 'property_name', property_name: 'closed' },
        operator: 'eq',
        property_value: false,
      },
      configured_indicators: [
        {
          type: 'expression',
          column_id: 'size',
          datatype: 'decimal',
          expression: { type: 'property_name', property_name: 'size' },
        },
        {
          type: 'expression',
          column_id: 'opened',
          datatype: 'date',
          expression: { type: 'property_name', property_name: 'opened_on' },
        },
      ],
    });
    const docs = [
      {
        _id: 'a',
        domain: 'demo',
        doc_type: 'CommCareCase',
        closed: false,
        size: '1.5',
        opened_on: '2026-01-02T03:04:05.000000Z',
      },
      { _id: 'b', domain: 'demo', doc_type: 'CommCareCase', closed: false, size: '2' },
      { _id: 'c', domain: 'demo', doc_type: 'CommCareCase', closed: false, size: '3' },
      {
        _id: 'a',
        domain: 'demo',
        doc_type: 'CommCareCase',
        closed: false,
        size: '1.25',
        opened_on: '2026-01-02T03:04:05.000000Z',
      },
      { _id: 'b', domain: 'demo', doc_type: 'CommCareCase', closed: true, size: '2' },
      { _id: 'c', domain: 'demo', doc_type: 'CommCareCase-Deleted', closed: false, size: '3' },
    ];
    const jsonl = await file('docs.jsonl', docs.map((d) => JSON.stringify(d)).join('\n'));
    const result = await run(['eval', '--config', config, '--docs', jsonl]);
    expect(result).toEqual({ code: 0, out: ['{"doc_id":"a","size":1.25,"opened":"2026-01-02"}'], err: [] });
    const json = await file('docs.json', docs);
    expect((await run(['eval', '--config', config, '--docs', json])).out).toEqual(result.out);
  });

  it('exits 2 with the JSON path on a bad configuration', async () => {
    const expr = await file('bad.json', {
      type: 'nested',
      argument_expression: { type: 'propery_name' },
      value_expression: 1,
    });
    const result = await run(['expr', '--expression', expr, '--doc', await file('d7.json', {})]);
    expect(result.code).toBe(2);
    expect(result.err.join('\n')).toMatch(
      /bad\.json:1:\d+: argument_expression\.type: a known expression type/,
    );
  });

  it('exits 2 on bad usage and on a missing file, naming the file', async () => {
    expect((await run(['nope'])).code).toBe(2);
    expect((await run(['expr', '--doc', 'x'])).code).toBe(2);
    const missing = await run(['expr', '--expression', join(dir, 'missing.json'), '--doc', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.err).toEqual([`${join(dir, 'missing.json')}:1:1: cannot read the file: no such file`]);
  });

  it('points at the line and column of a bad configuration value and of invalid JSON', async () => {
    const expr = await file(
      'bad-lines.json',
      '{\n  "type": "nested",\n  "argument_expression": {\n    "type": "propery_name"\n  },\n  "value_expression": 1\n}\n',
    );
    const doc = await file('d8.json', {});
    expect((await run(['expr', '--expression', expr, '--doc', doc])).err).toEqual([
      `${expr}:4:13: argument_expression.type: a known expression type (got "propery_name")`,
    ]);
    const broken = await file('broken.json', '{\n  "type": "constant",\n  "constant": 1,\n}\n');
    const result = await run(['expr', '--expression', broken, '--doc', doc]);
    expect(result.code).toBe(2);
    expect(result.err).toEqual([`${broken}:4:1: invalid JSON: Expected double-quoted property name`]);
  });
});
