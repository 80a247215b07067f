/**
 * Compiles one indicator spec (the reference's §8) into its columns and a writer that puts the
 * indicator's values for one item into a row.
 */
import type { UcrColumn, UcrDatatype, UcrStoredValue } from '../contract.js';
import { datatypeCoercer, expressionDatatypes } from '../values/coerce-datatype.js';
import { isDict, truthy } from '../values/kinds.js';
import { convertLiteral } from '../values/literal-convert.js';
import { pyStr } from '../values/py-str.js';
import type { EvalContext } from './eval-context.js';
import { operators } from './operators.js';
import {
  optionalBoolean,
  rejectUnknownKeys,
  requireKey,
  requireList,
  requireString,
  type Spec,
} from './spec-reader.js';
import { isPlainIsoDate, plainDecimalText, toStoredValue } from './stored-value.js';
import { truncateColumnId } from './truncate-column-id.js';
import type { Expr, UcrCompiler } from './ucr-compiler.js';
import { joinPath, UcrConfigError } from './ucr-config-error.js';
import {
  compileTransform,
  isEmptyTransform,
  TransformSpecError,
  type ValueTransform,
} from '../transforms/compile-transform.js';

export type MutableRow = Record<string, UcrStoredValue>;

export interface CompiledIndicator {
  readonly columns: readonly UcrColumn[];
  /** Adds this indicator's values for `item` to `row`. */
  write(item: unknown, ctx: EvalContext, row: MutableRow): void;
}

const BASE_KEYS = ['type', 'column_id', 'display_name', 'comment'];
const KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  expression: new Set([
    ...BASE_KEYS,
    'datatype',
    'expression',
    'is_nullable',
    'is_primary_key',
    'create_index',
    'transform',
  ]),
  raw: new Set([
    ...BASE_KEYS,
    'datatype',
    'property_name',
    'property_path',
    'is_nullable',
    'is_primary_key',
    'create_index',
  ]),
  boolean: new Set([...BASE_KEYS, 'filter', 'create_index']),
  small_boolean: new Set([...BASE_KEYS, 'filter', 'create_index']),
  count: new Set([...BASE_KEYS, 'create_index']),
  choice_list: new Set([
    ...BASE_KEYS,
    'datatype',
    'property_name',
    'property_path',
    'choices',
    'select_style',
  ]),
  ledger_balances: new Set([...BASE_KEYS, 'ledger_section', 'product_codes', 'case_id_expression']),
  due_list_date: new Set([...BASE_KEYS, 'ledger_section', 'product_codes', 'case_id_expression']),
};

function column(
  id: string,
  datatype: UcrDatatype,
  nullable: boolean,
  primaryKey = false,
  createIndex = false,
): UcrColumn {
  return { id: truncateColumnId(id), datatype, nullable, primaryKey, createIndex };
}

function readDatatype(spec: Spec, path: string): UcrDatatype {
  const datatype = requireKey(spec, 'datatype', path, 'a datatype');
  if (typeof datatype !== 'string' || !(expressionDatatypes as readonly string[]).includes(datatype)) {
    throw new UcrConfigError(joinPath(path, 'datatype'), `one of ${expressionDatatypes.join(', ')}`);
  }
  return datatype as UcrDatatype;
}

function propertyExpression(compiler: UcrCompiler, spec: Spec, path: string): Expr {
  const hasName = typeof spec.property_name === 'string' && spec.property_name !== '';
  const hasPath = Array.isArray(spec.property_path) && spec.property_path.length > 0;
  if (hasName === hasPath)
    throw new UcrConfigError(path, 'exactly one of property_name and property_path (non-empty)');
  return hasName
    ? compiler.expression({ type: 'property_name', property_name: spec.property_name }, path)
    : compiler.expression({ type: 'property_path', property_path: spec.property_path }, path);
}

/**
 * Ledger values come from a lookup of kind 'ledger' keyed by case id, whose value is
 * `{section: {product_code: balance}}`. Tributary has no ledger store yet, so a lookups object that
 * does not serve the kind (undefined) gives the indicator's default instead of a retry.
 */
function ledgerValue(ctx: EvalContext, caseId: string, section: string, product: string): number | null {
  const ledgers = ctx.lookups.get({ kind: 'ledger', id: caseId, domain: ctx.domain });
  if (!isDict(ledgers)) return null;
  const bySection = ledgers[section];
  if (!isDict(bySection)) return null;
  const balance = bySection[product];
  return typeof balance === 'number' ? balance : null;
}

/** An expression indicator's transform, applied before the datatype (undefined for none or `{}`). */
function indicatorTransform(spec: unknown, path: string): ValueTransform | undefined {
  if (isEmptyTransform(spec)) return undefined;
  try {
    return compileTransform(spec);
  } catch (error) {
    if (!(error instanceof TransformSpecError)) throw error;
    const at = error.at.reduce<string>((p, key) => joinPath(p, key), joinPath(path, 'transform'));
    throw new UcrConfigError(at, error.expected);
  }
}

/** An `expression` or `raw` indicator: one column of its datatype, the transform applied first. */
function expressionIndicator(
  compiler: UcrCompiler,
  spec: Spec,
  type: string,
  columnId: string,
  path: string,
): CompiledIndicator {
  const datatype = readDatatype(spec, path);
  const base =
    type === 'expression'
      ? compiler.expression(
          requireKey(spec, 'expression', path, 'an expression'),
          joinPath(path, 'expression'),
        )
      : propertyExpression(compiler, spec, path);
  const transform = type === 'expression' ? indicatorTransform(spec.transform, path) : undefined;
  const expr: Expr = transform === undefined ? base : (item, ctx) => transform(base(item, ctx), ctx);
  const col = column(
    columnId,
    datatype,
    optionalBoolean(spec, 'is_nullable', path, true),
    optionalBoolean(spec, 'is_primary_key', path, false),
    optionalBoolean(spec, 'create_index', path, false),
  );
  const coerce = datatypeCoercer(datatype);
  const id = col.id;
  // Form answers are text: store plain decimal and ISO date strings without building values.
  if ((datatype === 'decimal' || datatype === 'date') && transform === undefined) {
    const fast =
      datatype === 'decimal' ? plainDecimalText : (s: string) => (isPlainIsoDate(s) ? s : undefined);
    return {
      columns: [col],
      write: (item, ctx, row) => {
        const value = expr(item, ctx);
        const text = typeof value === 'string' ? fast(value) : undefined;
        row[id] = text ?? toStoredValue(coerce!(value), datatype);
      },
    };
  }
  return {
    columns: [col],
    write:
      coerce === undefined
        ? (item, ctx, row) => {
            row[id] = toStoredValue(expr(item, ctx), datatype);
          }
        : (item, ctx, row) => {
            row[id] = toStoredValue(coerce(expr(item, ctx)), datatype);
          },
  };
}

/** `ledger_balances` / `due_list_date`: one column per product. */
function ledgerIndicator(
  compiler: UcrCompiler,
  spec: Spec,
  type: string,
  columnId: string,
  path: string,
): CompiledIndicator {
  const section = requireString(spec, 'ledger_section', path, 'a ledger section');
  const products = requireList(spec, 'product_codes', path, 'a list of product codes');
  products.forEach((p, i) => {
    if (typeof p !== 'string')
      throw new UcrConfigError(joinPath(joinPath(path, 'product_codes'), i), 'a product code (a string)');
  });
  const caseId = compiler.expression(
    requireKey(spec, 'case_id_expression', path, 'an expression'),
    joinPath(path, 'case_id_expression'),
  );
  const isDue = type === 'due_list_date';
  const parts = (products as string[]).map((product) => {
    const col = column(`${columnId}_${product}`, isDue ? 'date' : 'integer', true);
    return { id: col.id, col, product };
  });
  return {
    columns: parts.map((p) => p.col),
    write: (item, ctx, row) => {
      const id = caseId(item, ctx);
      for (const p of parts) {
        const balance = truthy(id) ? ledgerValue(ctx, pyStr(id), section, p.product) : null;
        if (isDue) {
          const days = balance ?? 0;
          row[p.id] = new Date(days * 86_400_000).toISOString().slice(0, 10);
        } else {
          row[p.id] = balance ?? 0;
        }
      }
    },
  };
}

/** Compiles `spec` (at JSON path `path`). */
export function compileIndicator(compiler: UcrCompiler, spec: unknown, path: string): CompiledIndicator {
  if (!isDict(spec)) throw new UcrConfigError(path, 'an indicator (a JSON object)');
  const type = spec.type;
  if (typeof type !== 'string' || !Object.hasOwn(KEYS, type)) {
    throw new UcrConfigError(
      joinPath(path, 'type'),
      `one of ${Object.keys(KEYS).join(', ')} (got ${JSON.stringify(type)})`,
    );
  }
  rejectUnknownKeys(spec, KEYS[type]!, path, `a ${type} indicator`);
  const columnId = requireString(spec, 'column_id', path, 'a column id');
  switch (type) {
    case 'expression':
    case 'raw':
      return expressionIndicator(compiler, spec, type, columnId, path);
    case 'boolean':
    case 'small_boolean': {
      const filter = compiler.filter(requireKey(spec, 'filter', path, 'a filter'), joinPath(path, 'filter'));
      const col = column(
        columnId,
        type === 'boolean' ? 'integer' : 'small_integer',
        false,
        false,
        optionalBoolean(spec, 'create_index', path, false),
      );
      const id = col.id;
      return { columns: [col], write: (item, ctx, row) => void (row[id] = filter(item, ctx) ? 1 : 0) };
    }
    case 'count': {
      const col = column(
        columnId,
        'integer',
        true,
        false,
        optionalBoolean(spec, 'create_index', path, false),
      );
      const id = col.id;
      return { columns: [col], write: (_item, _ctx, row) => void (row[id] = 1) };
    }
    case 'choice_list': {
      const expr = propertyExpression(compiler, spec, path);
      const choices = requireList(spec, 'choices', path, 'a list of choices');
      const style = spec.select_style ?? 'single';
      if (style !== 'single' && style !== 'multiple')
        throw new UcrConfigError(joinPath(path, 'select_style'), 'single or multiple');
      const op = style === 'single' ? operators.eq! : operators.in_multi!;
      const parts = choices.map((choice) => {
        const col = column(`${columnId}_${pyStr(choice)}`, 'integer', false);
        return { id: col.id, col, ref: convertLiteral(choice) };
      });
      return {
        columns: parts.map((p) => p.col),
        write: (item, ctx, row) => {
          const value = expr(item, ctx);
          for (const p of parts) row[p.id] = op(value, p.ref) ? 1 : 0;
        },
      };
    }
    default:
      return ledgerIndicator(compiler, spec, type, columnId, path);
  }
}
