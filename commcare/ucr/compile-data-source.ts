/**
 * `compileDataSource`: a UCR data source configuration (the reference's §2) compiled once into a
 * `CompiledDataSource` whose `evaluate` turns one document into rows (§9.1). Throws `UcrConfigError`
 * (with the JSON path) for anything CommCare's validation rejects; evaluation never throws for data.
 */
import { createHash } from 'node:crypto';
import type {
  CompiledDataSource,
  UcrColumn,
  UcrEvaluation,
  UcrLookupKey,
  UcrLookups,
  UcrRow,
} from './contract.js';
import { compileIndicator, type CompiledIndicator, type MutableRow } from './compile/compile-indicator.js';
import { EvalContext } from './compile/eval-context.js';
import {
  optionalBoolean,
  optionalString,
  requireObject,
  requireString,
  type Spec,
} from './compile/spec-reader.js';
import { UcrCompiler, type Expr, type Filter } from './compile/ucr-compiler.js';
import { joinPath, UcrConfigError } from './compile/ucr-config-error.js';
import { isDict } from './values/kinds.js';
import { pyEquals } from './values/py-compare.js';
import { pyStr } from './values/py-str.js';

/** `const.py` VALID_REFERENCED_DOC_TYPES. */
export const validReferencedDocTypes = ['CommCareCase', 'XFormInstance', 'CommCareUser', 'Location'] as const;

export interface CompileDataSourceOptions {
  /** JSON path prefix for errors, e.g. the file name or `dataSources[2]`. */
  path?: string;
}

function isEmptySpec(value: unknown): boolean {
  return value === undefined || value === null || (isDict(value) && Object.keys(value).length === 0);
}

/** JSON with sorted keys, so equal configurations hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isDict(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Indicators without their labels: `display_name` and `comment` do not change rows. */
function withoutLabels(indicators: unknown[]): unknown[] {
  return indicators.map((i) => {
    if (!isDict(i)) return i;
    const { display_name: _d, comment: _c, ...rest } = i;
    return rest;
  });
}

function dedupeKeys(keys: readonly UcrLookupKey[]): UcrLookupKey[] {
  const seen = new Set<string>();
  const out: UcrLookupKey[] = [];
  for (const key of keys) {
    const id = `${key.kind}\u0000${key.domain}\u0000${key.id}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(key);
    }
  }
  return out;
}

interface Validation {
  readonly name: string;
  readonly filter: Filter;
}

/** Default columns first (doc_id, inserted_at, repeat_iteration with a base item), then the indicators'. */
function tableColumns(
  indicators: readonly CompiledIndicator[],
  hasBaseItem: boolean,
  at: string,
): UcrColumn[] {
  const columns: UcrColumn[] = [
    { id: 'doc_id', datatype: 'string', nullable: false, primaryKey: true, createIndex: false },
    { id: 'inserted_at', datatype: 'datetime', nullable: false, primaryKey: false, createIndex: true },
  ];
  if (hasBaseItem) {
    columns.push({
      id: 'repeat_iteration',
      datatype: 'integer',
      nullable: false,
      primaryKey: true,
      createIndex: false,
    });
  }
  const seen = new Set(columns.map((c) => c.id));
  indicators.forEach((indicator, i) => {
    for (const col of indicator.columns) {
      if (seen.has(col.id)) {
        throw new UcrConfigError(
          joinPath(joinPath(at, i), 'column_id'),
          `a column id not already used (duplicate "${col.id}")`,
        );
      }
      seen.add(col.id);
      columns.push(col);
    }
  });
  return columns;
}

/** The flagged primary key columns, in the order `sql_settings.primary_key` gives when it does. */
function primaryKeyOf(columns: readonly UcrColumn[], sqlSettings: unknown, at: string): string[] {
  const flagged = columns.filter((c) => c.primaryKey).map((c) => c.id);
  if (!isDict(sqlSettings) || sqlSettings.primary_key === undefined || sqlSettings.primary_key === null)
    return flagged;
  const pk = sqlSettings.primary_key;
  const path = joinPath(at, 'primary_key');
  if (!Array.isArray(pk) || !pk.every((c) => typeof c === 'string'))
    throw new UcrConfigError(path, 'a list of column ids');
  if (pk.length === 0) return flagged;
  const given = new Set(pk);
  if (given.size !== pk.length || given.size !== flagged.length || !flagged.every((c) => given.has(c))) {
    throw new UcrConfigError(path, `the same columns as those flagged primary key (${flagged.join(', ')})`);
  }
  return pk;
}

/** `sql_column_indexes`; CommCare logs and skips an index naming an unknown column. */
function indexesOf(spec: unknown, known: ReadonlySet<string>, at: string): string[][] {
  if (!Array.isArray(spec)) throw new UcrConfigError(at, 'a list of indexes');
  const indexes: string[][] = [];
  spec.forEach((index, i) => {
    const path = joinPath(at, i);
    const ids = requireObject(index, path, 'an index').column_ids;
    if (!Array.isArray(ids) || !ids.every((c) => typeof c === 'string'))
      throw new UcrConfigError(joinPath(path, 'column_ids'), 'a list of column ids');
    if (ids.length > 0 && ids.every((c) => known.has(c))) indexes.push(ids);
  });
  return indexes;
}

/** The evaluation of one document (§9.1): filter and validations, items, one row per item. */
function evaluator(
  domain: string,
  referencedDocType: string,
  configuredFilter: Filter | undefined,
  validations: readonly Validation[],
  baseItem: Expr | undefined,
  indicators: readonly CompiledIndicator[],
): (doc: unknown, lookups: UcrLookups) => UcrEvaluation {
  const hasBaseItem = baseItem !== undefined;
  const notMatched: UcrEvaluation = { status: 'rows', matched: false, rows: [] };

  return function evaluate(doc: unknown, lookups: UcrLookups): UcrEvaluation {
    if (!isDict(doc) || !pyEquals(doc.domain, domain) || !pyEquals(doc.doc_type, referencedDocType))
      return notMatched;
    const ctx = new EvalContext(doc, lookups, 0);
    let matched = configuredFilter === undefined || configuredFilter(doc, ctx);
    if (matched) {
      for (const v of validations) {
        if (!v.filter(doc, ctx)) {
          matched = false;
          break;
        }
      }
    }
    const rows: UcrRow[] = [];
    if (matched) {
      let items: unknown[];
      if (hasBaseItem) {
        const value = baseItem(doc, ctx);
        items = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
      } else {
        items = [doc];
      }
      const docId = pyStr(doc._id ?? null);
      for (let i = 0; i < items.length; i++) {
        ctx.iteration = i;
        const row: MutableRow = hasBaseItem ? { doc_id: docId, repeat_iteration: i } : { doc_id: docId };
        for (const indicator of indicators) indicator.write(items[i], ctx, row);
        rows.push(row);
      }
    }
    if (ctx.missing.length > 0) return { status: 'missing', missing: dedupeKeys(ctx.missing) };
    return matched ? { status: 'rows', matched: true, rows } : notMatched;
  };
}

export function compileDataSource(json: unknown, options: CompileDataSourceOptions = {}): CompiledDataSource {
  const root = options.path ?? '';
  const config: Spec = requireObject(json, root, 'a data source configuration');
  const at = (key: string) => joinPath(root, key);
  const domain = requireString(config, 'domain', root, 'the domain');
  const tableId = requireString(config, 'table_id', root, 'the table id');
  const referencedDocType = requireString(config, 'referenced_doc_type', root, 'the referenced doc type');
  if (!(validReferencedDocTypes as readonly string[]).includes(referencedDocType)) {
    throw new UcrConfigError(
      at('referenced_doc_type'),
      `one of ${validReferencedDocTypes.join(', ')} (got ${JSON.stringify(referencedDocType)})`,
    );
  }
  const displayName = optionalString(config, 'display_name', root) ?? tableId;

  const namedExpressions = config.named_expressions ?? {};
  const namedFilters = config.named_filters ?? {};
  requireObject(namedExpressions, at('named_expressions'), 'an object of named expressions');
  requireObject(namedFilters, at('named_filters'), 'an object of named filters');
  const compiler = new UcrCompiler({
    namedExpressions: namedExpressions as Record<string, unknown>,
    namedFilters: namedFilters as Record<string, unknown>,
    namedExpressionsPath: at('named_expressions'),
    namedFiltersPath: at('named_filters'),
  });
  compiler.compileAllNamed();

  const configuredFilter: Filter | undefined = isEmptySpec(config.configured_filter)
    ? undefined
    : compiler.filter(config.configured_filter, at('configured_filter'));

  const validationsSpec = config.validations ?? [];
  if (!Array.isArray(validationsSpec)) throw new UcrConfigError(at('validations'), 'a list of validations');
  const validations: Validation[] = validationsSpec.map((v, i) => {
    const path = joinPath(at('validations'), i);
    const spec = requireObject(v, path, 'a validation');
    return {
      name: requireString(spec, 'name', path, 'the validation name'),
      filter: compiler.filter(spec.expression, joinPath(path, 'expression')),
    };
  });

  const baseItem: Expr | undefined = isEmptySpec(config.base_item_expression)
    ? undefined
    : compiler.expression(config.base_item_expression, at('base_item_expression'));

  const indicatorsSpec = config.configured_indicators ?? [];
  if (!Array.isArray(indicatorsSpec))
    throw new UcrConfigError(at('configured_indicators'), 'a list of indicators');
  const indicators: CompiledIndicator[] = indicatorsSpec.map((spec, i) =>
    compileIndicator(compiler, spec, joinPath(at('configured_indicators'), i)),
  );

  const columns = tableColumns(indicators, baseItem !== undefined, at('configured_indicators'));
  const seen = new Set(columns.map((c) => c.id));
  const primaryKey = primaryKeyOf(columns, config.sql_settings, at('sql_settings'));

  const indexes = indexesOf(config.sql_column_indexes ?? [], seen, at('sql_column_indexes'));

  const definitionHash = createHash('sha1')
    .update(
      canonicalJson({
        domain,
        referenced_doc_type: referencedDocType,
        configured_filter: config.configured_filter ?? {},
        configured_indicators: withoutLabels(indicatorsSpec),
        base_item_expression: config.base_item_expression ?? {},
        named_expressions: namedExpressions,
        named_filters: namedFilters,
        validations: validationsSpec,
        primary_key: primaryKey,
        sql_column_indexes: indexes,
      }),
    )
    .digest('hex');

  const evaluate = evaluator(domain, referencedDocType, configuredFilter, validations, baseItem, indicators);

  return {
    domain,
    tableId,
    displayName,
    referencedDocType,
    isDeactivated: optionalBoolean(config, 'is_deactivated', root, false),
    disableDestructiveRebuild: optionalBoolean(config, 'disable_destructive_rebuild', root, false),
    columns,
    primaryKey,
    indexes,
    definitionHash,
    source: json,
    evaluate,
  };
}
