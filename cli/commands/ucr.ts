/**
 * `tributary ucr expr|filter|indicator|eval`: the UCR language on files, without any store. Lookups
 * (related_doc, indexed_case, …) are served by id from the context file's `related_docs`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { UcrLookups, UcrRow, UcrStoredValue } from '../../commcare/ucr/contract.js';
import {
  compileDataSource,
  compileExpression,
  compileFilter,
  compileIndicator,
  parseJsonValues,
  toJsonText,
  toTypedJsonText,
  UcrConfigError,
  type StandaloneEvalOptions,
} from '../../commcare/ucr/index.js';
import { pyStr } from '../../commcare/ucr/values/py-str.js';

export const ucrUsage = `Usage:
  tributary ucr expr --expression E.json --doc D.json [--context C.json] [--typed]
  tributary ucr filter --filter F.json --doc D.json [--context C.json]
  tributary ucr indicator --indicator I.json --doc D.json [--context C.json]
  tributary ucr eval --config DS.json --docs DOCS.json|DOCS.jsonl [--context C.json]

expr prints the expression's value as JSON (--typed: {"type": kind, "value": json});
filter prints true or false; indicator prints its columns and values as one JSON object;
eval feeds the documents in order into an in-memory table (a document's rows are replaced
by its latest version's, removed when it stops matching, yields none or is deleted) and
prints the final rows as JSON lines.
The context file may hold root_doc, base_iteration_number and related_docs (id -> doc,
served to every lookup by id).

Exit codes: 0 success, 1 failure, 2 bad usage or configuration (the JSON path on stderr).`;

export interface UcrCommandOptions {
  /** Where normal output goes; console.log by default. */
  out?: (line: string) => void;
  /** Where problems go; console.error by default. */
  err?: (line: string) => void;
}

class UsageError extends Error {}

interface ContextFile {
  rootDoc?: unknown;
  iteration?: number;
  lookups: UcrLookups;
}

async function readJson(file: string): Promise<unknown> {
  return parseJsonValues(await readFile(file, 'utf8'));
}

async function readDocs(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  if (file.endsWith('.jsonl')) {
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => parseJsonValues(line));
  }
  const value = parseJsonValues(text);
  return Array.isArray(value) ? (value as unknown[]) : [value];
}

async function readContext(file: string | undefined): Promise<ContextFile> {
  if (file === undefined) return { lookups: { get: () => null } };
  const raw = await readJson(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UsageError(`${file}: the context must be a JSON object`);
  const context = raw as { root_doc?: unknown; base_iteration_number?: unknown; related_docs?: unknown };
  const related = (context.related_docs ?? {}) as Record<string, unknown>;
  const iteration = context.base_iteration_number;
  return {
    rootDoc: context.root_doc,
    iteration: typeof iteration === 'number' ? iteration : undefined,
    lookups: { get: (key) => (Object.hasOwn(related, key.id) ? related[key.id] : null) },
  };
}

function need(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`missing --${flag}`);
  return value;
}

function storedJson(value: UcrStoredValue): string {
  // Decimals are stored as exact text; print them as JSON numbers.
  return JSON.stringify(value);
}

function rowJson(row: UcrRow, columns: readonly string[], decimalColumns: ReadonlySet<string>): string {
  const parts = columns
    .filter((c) => c in row)
    .map((c) => {
      const value = row[c] ?? null;
      const text =
        decimalColumns.has(c) && typeof value === 'string' && /^-?\d/.test(value) ? value : storedJson(value);
      return `${JSON.stringify(c)}:${text}`;
    });
  return `{${parts.join(',')}}`;
}

function isDeletion(doc: unknown): boolean {
  const docType = (doc as { doc_type?: unknown } | null)?.doc_type;
  return typeof docType === 'string' && (docType.endsWith('-Deleted') || docType === 'XFormArchived');
}

/** Runs `tributary ucr …`; resolves to the exit code. */
export async function ucrCommand(args: string[], options: UcrCommandOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        expression: { type: 'string' },
        filter: { type: 'string' },
        indicator: { type: 'string' },
        config: { type: 'string' },
        doc: { type: 'string' },
        docs: { type: 'string' },
        context: { type: 'string' },
        typed: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    err(`${(error as Error).message}\n\n${ucrUsage}`);
    return 2;
  }
  const flags = parsed.values;
  if (flags.help) {
    out(ucrUsage);
    return 0;
  }
  const [subcommand, ...extra] = parsed.positionals;
  if (
    extra.length > 0 ||
    subcommand === undefined ||
    !['expr', 'filter', 'indicator', 'eval'].includes(subcommand)
  ) {
    err(ucrUsage);
    return 2;
  }

  // The file a configuration error is in, so the message names it.
  let configFile: string | undefined;
  try {
    const context = await readContext(flags.context);
    const evalOptions = (doc: unknown): StandaloneEvalOptions => ({
      rootDoc: context.rootDoc ?? doc,
      iteration: context.iteration ?? 0,
      lookups: context.lookups,
    });
    switch (subcommand) {
      case 'expr': {
        const file = (configFile = need(flags.expression, 'expression'));
        const expr = compileExpression(await readJson(file));
        const doc = await readJson(need(flags.doc, 'doc'));
        const { value } = expr(doc, evalOptions(doc));
        out(flags.typed ? toTypedJsonText(value) : toJsonText(value));
        return 0;
      }
      case 'filter': {
        const filter = compileFilter(await readJson((configFile = need(flags.filter, 'filter'))));
        const doc = await readJson(need(flags.doc, 'doc'));
        out(filter(doc, evalOptions(doc)).value ? 'true' : 'false');
        return 0;
      }
      case 'indicator': {
        const indicator = compileIndicator(await readJson((configFile = need(flags.indicator, 'indicator'))));
        const doc = await readJson(need(flags.doc, 'doc'));
        const { value } = indicator.evaluate(doc, evalOptions(doc));
        const ids = indicator.columns.map((c) => c.id);
        const decimals = new Set(indicator.columns.filter((c) => c.datatype === 'decimal').map((c) => c.id));
        out(rowJson(value, ids, decimals));
        return 0;
      }
      default: {
        const dataSource = compileDataSource(await readJson((configFile = need(flags.config, 'config'))));
        const docs = await readDocs(need(flags.docs, 'docs'));
        const table = new Map<string, readonly UcrRow[]>();
        for (const doc of docs) {
          const id = pyStr((doc as { _id?: unknown } | null)?._id ?? null);
          if (isDeletion(doc)) {
            table.delete(id);
            continue;
          }
          const result = dataSource.evaluate(doc, context.lookups);
          if (result.status === 'missing')
            throw new Error(`document ${id}: lookups not served: ${JSON.stringify(result.missing)}`);
          table.delete(id);
          if (result.matched && result.rows.length > 0) table.set(id, result.rows);
        }
        const ids = dataSource.columns.map((c) => c.id).filter((c) => c !== 'inserted_at');
        const decimals = new Set(dataSource.columns.filter((c) => c.datatype === 'decimal').map((c) => c.id));
        for (const rows of table.values()) for (const row of rows) out(rowJson(row, ids, decimals));
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof UcrConfigError) {
      err(`${configFile ?? 'configuration'}: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError) {
      err(`${error.message}\n\n${ucrUsage}`);
      return 2;
    }
    err((error as Error).message);
    return 1;
  }
}
