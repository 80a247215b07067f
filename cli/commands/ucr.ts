/**
 * `tributary ucr expr|filter|indicator|eval`: the UCR language on files, without any store. Lookups
 * (related_doc, indexed_case, …) are served by id from the context file's `related_docs`.
 */
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
import { flagOption, requiredOption, stringOption, type CommandInput } from '../command.js';
import { InputFileError, locateJsonPath, parseJsonText, readInputText } from '../input-file.js';

interface ContextFile {
  rootDoc?: unknown;
  iteration?: number;
  lookups: UcrLookups;
}

/** A JSON file as read: its name, text and value (CommCare's number rules: 5.0 stays a float). */
interface JsonInput {
  file: string;
  text: string;
  value: unknown;
}

async function readJson(file: string): Promise<JsonInput> {
  const text = await readInputText(file);
  return { file, text, value: parseJsonText(file, text, parseJsonValues) };
}

/** Compiles a configuration; a UcrConfigError becomes `file:line:col: path: expected`. */
function compileIn<T>(input: JsonInput, compile: (config: unknown) => T): T {
  try {
    return compile(input.value);
  } catch (error) {
    if (!(error instanceof UcrConfigError)) throw error;
    const { line, column } = locateJsonPath(input.text, error.path);
    throw new InputFileError(input.file, line, column, error.message);
  }
}

/** The documents of a JSON array, one JSON value, or JSON lines (.jsonl), each with its line. */
async function readDocs(file: string): Promise<{ doc: unknown; line: number }[]> {
  const text = await readInputText(file);
  if (file.endsWith('.jsonl')) {
    return text
      .split('\n')
      .flatMap((line, index) =>
        line.trim() === ''
          ? []
          : [{ doc: parseJsonText(file, line, parseJsonValues, index + 1), line: index + 1 }],
      );
  }
  const value = parseJsonText(file, text, parseJsonValues);
  const docs = Array.isArray(value) ? (value as unknown[]) : [value];
  return docs.map((doc, i) => ({
    doc,
    line: Array.isArray(value) ? locateJsonPath(text, `[${i}]`).line : 1,
  }));
}

async function readContext(file: string | undefined): Promise<ContextFile> {
  if (file === undefined) return { lookups: { get: () => null } };
  const raw = (await readJson(file)).value;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InputFileError(file, 1, 1, 'the context must be a JSON object');
  const context = raw as { root_doc?: unknown; base_iteration_number?: unknown; related_docs?: unknown };
  const related = (context.related_docs ?? {}) as Record<string, unknown>;
  const iteration = context.base_iteration_number;
  return {
    rootDoc: context.root_doc,
    iteration: typeof iteration === 'number' ? iteration : undefined,
    lookups: {
      get: (key) =>
        typeof related === 'object' && related !== null && Object.hasOwn(related, key.id)
          ? related[key.id]
          : null,
    },
  };
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

/** Runs `tributary ucr expr|filter|indicator|eval`; resolves to the exit code. */
export async function ucrCommand(
  subcommand: 'expr' | 'filter' | 'indicator' | 'eval',
  { values, out }: CommandInput,
): Promise<number> {
  const context = await readContext(stringOption(values, 'context'));
  const evalOptions = (doc: unknown): StandaloneEvalOptions => ({
    rootDoc: context.rootDoc ?? doc,
    iteration: context.iteration ?? 0,
    lookups: context.lookups,
  });
  switch (subcommand) {
    case 'expr': {
      const expr = compileIn(await readJson(requiredOption(values, 'expression')), compileExpression);
      const doc = (await readJson(requiredOption(values, 'doc'))).value;
      const { value } = expr(doc, evalOptions(doc));
      out(flagOption(values, 'typed') ? toTypedJsonText(value) : toJsonText(value));
      return 0;
    }
    case 'filter': {
      const filter = compileIn(await readJson(requiredOption(values, 'filter')), compileFilter);
      const doc = (await readJson(requiredOption(values, 'doc'))).value;
      out(filter(doc, evalOptions(doc)).value ? 'true' : 'false');
      return 0;
    }
    case 'indicator': {
      const indicator = compileIn(await readJson(requiredOption(values, 'indicator')), compileIndicator);
      const doc = (await readJson(requiredOption(values, 'doc'))).value;
      const { value } = indicator.evaluate(doc, evalOptions(doc));
      const ids = indicator.columns.map((c) => c.id);
      const decimals = new Set(indicator.columns.filter((c) => c.datatype === 'decimal').map((c) => c.id));
      out(rowJson(value, ids, decimals));
      return 0;
    }
    case 'eval':
      return evalDataSource(values, context, out);
  }
}

/** `ucr eval`: the documents in order into an in-memory table, then its rows as JSON lines. */
async function evalDataSource(
  values: CommandInput['values'],
  context: ContextFile,
  out: (line: string) => void,
): Promise<number> {
  const dataSource = compileIn(await readJson(requiredOption(values, 'config')), compileDataSource);
  const docsFile = requiredOption(values, 'docs');
  const table = new Map<string, readonly UcrRow[]>();
  for (const { doc, line } of await readDocs(docsFile)) {
    const id = pyStr((doc as { _id?: unknown } | null)?._id ?? null);
    if (isDeletion(doc)) {
      table.delete(id);
      continue;
    }
    const result = dataSource.evaluate(doc, context.lookups);
    if (result.status === 'missing')
      throw new InputFileError(
        docsFile,
        line,
        1,
        `document ${id} needs documents the context does not serve (${JSON.stringify(result.missing)}); ` +
          'give them as related_docs in --context C.json',
      );
    table.delete(id);
    if (result.matched && result.rows.length > 0) table.set(id, result.rows);
  }
  const ids = dataSource.columns.map((c) => c.id).filter((c) => c !== 'inserted_at');
  const decimals = new Set(dataSource.columns.filter((c) => c.datatype === 'decimal').map((c) => c.id));
  for (const rows of table.values()) for (const row of rows) out(rowJson(row, ids, decimals));
  return 0;
}
