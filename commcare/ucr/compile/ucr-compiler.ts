/**
 * Compiles UCR expression and filter specs (the reference's §4 and §5) into closures, once. A
 * compiled expression is `(item, ctx) => value` and a compiled filter `(item, ctx) => boolean`;
 * neither reads the spec JSON again nor throws for data problems. Named expressions and filters are
 * compiled on first reference, with cycles rejected.
 */
import { compileEvaluator } from '../evaluator/compile-evaluator.js';
import {
  coerceDatatype,
  datatypeCoercer,
  expressionDatatypes,
  toPyInteger,
  toUcrDate,
  toUcrDateTime,
} from '../values/coerce-datatype.js';
import { daysInMonth, isDict, truthy, UcrDate, UcrDateTime } from '../values/kinds.js';
import { convertLiteral } from '../values/literal-convert.js';
import { pyAdd, PyTypeError } from '../values/py-arith.js';
import { pyCompare, pyEquals } from '../values/py-compare.js';
import { pyStr } from '../values/py-str.js';
import { ethiopianToGregorianValue, gregorianToEthiopianValue } from '../transforms/compile-transform.js';
import type { EvalContext } from './eval-context.js';
import { findJsonPath, parseJsonPath } from './jsonpath.js';
import { operators, pythonRegex } from './operators.js';
import {
  optionalString,
  rejectUnknownKeys,
  requireKey,
  requireList,
  requireObject,
  requireString,
  type Spec,
} from './spec-reader.js';
import { joinPath, UcrConfigError } from './ucr-config-error.js';

/** A compiled expression. */
export type Expr = (item: unknown, ctx: EvalContext) => unknown;
/** A compiled filter. */
export type Filter = (item: unknown, ctx: EvalContext) => boolean;

export interface UcrCompilerOptions {
  /** `named_expressions` of the data source (name → spec). */
  namedExpressions?: Readonly<Record<string, unknown>>;
  /** `named_filters` of the data source (name → spec). */
  namedFilters?: Readonly<Record<string, unknown>>;
  /** JSON paths of the named tables, for errors inside them. */
  namedExpressionsPath?: string;
  namedFiltersPath?: string;
}

const RELATED_DOC_KINDS: Readonly<Record<string, string>> = {
  CommCareCase: 'case',
  XFormInstance: 'form',
  Location: 'location',
  CommCareUser: 'user',
  WebUser: 'user',
  Group: 'group',
};

const FILTER_KEYS = {
  boolean_expression: new Set(['type', 'expression', 'operator', 'property_value', 'comment']),
  property_match: new Set(['type', 'property_name', 'property_path', 'property_value', 'comment']),
  not: new Set(['type', 'filter', 'comment']),
  named: new Set(['type', 'name', 'comment']),
};

/** Items of a list expression: anything but a list counts as none (`utils.py`). */
function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isPyIntLike(x: unknown): x is number | boolean {
  return typeof x === 'boolean' || (typeof x === 'number' && Number.isInteger(x));
}

/** A dict lookup that never reaches Object.prototype. */
function getter(key: string): (item: unknown) => unknown {
  if (key in Object.prototype) {
    return (item) => (isDict(item) && Object.hasOwn(item, key) ? item[key] : null);
  }
  return (item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
    const v = (item as Record<string, unknown>)[key];
    return v === undefined ? null : v;
  };
}

function withDatatype(expr: Expr, spec: Spec, path: string): Expr {
  const datatype = spec.datatype;
  if (datatype === undefined || datatype === null) return expr;
  if (typeof datatype !== 'string' || !(expressionDatatypes as readonly string[]).includes(datatype)) {
    throw new UcrConfigError(joinPath(path, 'datatype'), `one of ${expressionDatatypes.join(', ')}`);
  }
  const coerce = datatypeCoercer(datatype);
  if (coerce === undefined) return expr;
  return (item, ctx) => coerce(expr(item, ctx));
}

export class UcrCompiler {
  private readonly namedExpressions: Readonly<Record<string, unknown>>;
  private readonly namedFilters: Readonly<Record<string, unknown>>;
  private readonly compiledNamedExpressions = new Map<string, Expr>();
  private readonly compiledNamedFilters = new Map<string, Filter>();
  private readonly compiling = new Set<string>();

  constructor(private readonly options: UcrCompilerOptions = {}) {
    this.namedExpressions = options.namedExpressions ?? {};
    this.namedFilters = options.namedFilters ?? {};
  }

  /** Compiles every named expression and filter (so errors in unused ones surface too). */
  compileAllNamed(): void {
    for (const name of Object.keys(this.namedExpressions))
      this.namedExpression(name, this.options.namedExpressionsPath ?? 'named_expressions');
    for (const name of Object.keys(this.namedFilters))
      this.namedFilter(name, this.options.namedFiltersPath ?? 'named_filters');
  }

  private namedExpression(name: string, path: string): Expr {
    const done = this.compiledNamedExpressions.get(name);
    if (done !== undefined) return done;
    if (!Object.hasOwn(this.namedExpressions, name)) {
      throw new UcrConfigError(path, `the name of a named expression (no "${name}" in named_expressions)`);
    }
    const key = `expression:${name}`;
    if (this.compiling.has(key))
      throw new UcrConfigError(path, `no cycle among named expressions ("${name}" refers back to itself)`);
    this.compiling.add(key);
    let target: Expr;
    try {
      target = this.expression(
        this.namedExpressions[name],
        joinPath(this.options.namedExpressionsPath ?? 'named_expressions', name),
      );
    } finally {
      this.compiling.delete(key);
    }
    // CommCare caches a named expression's value per item and iteration; so do we, for the last
    // (item, context, iteration) seen, which is what repeated uses within one row hit.
    const compiled = target;
    let lastItem: unknown = undefined;
    let lastCtx: EvalContext | undefined;
    let lastIteration = -1;
    let lastValue: unknown = null;
    const cached: Expr = (item, ctx) => {
      if (ctx === lastCtx && item === lastItem && ctx.iteration === lastIteration) return lastValue;
      const value = compiled(item, ctx);
      lastItem = item;
      lastCtx = ctx;
      lastIteration = ctx.iteration;
      lastValue = value;
      return value;
    };
    this.compiledNamedExpressions.set(name, cached);
    return cached;
  }

  private namedFilter(name: string, path: string): Filter {
    const done = this.compiledNamedFilters.get(name);
    if (done !== undefined) return done;
    if (!Object.hasOwn(this.namedFilters, name)) {
      throw new UcrConfigError(path, `the name of a named filter (no "${name}" in named_filters)`);
    }
    const key = `filter:${name}`;
    if (this.compiling.has(key))
      throw new UcrConfigError(path, `no cycle among named filters ("${name}" refers back to itself)`);
    this.compiling.add(key);
    let compiled: Filter;
    try {
      compiled = this.filter(
        this.namedFilters[name],
        joinPath(this.options.namedFiltersPath ?? 'named_filters', name),
      );
    } finally {
      this.compiling.delete(key);
    }
    this.compiledNamedFilters.set(name, compiled);
    return compiled;
  }

  /** One compiler per expression type: the table `expression` dispatches on. */
  private readonly compilers: Readonly<Record<string, (spec: Spec, path: string) => Expr>> = {
    identity: () => (item) => (item === undefined ? null : item),
    constant: (spec, path) => {
      const value = convertLiteral(requireKey(spec, 'constant', path, 'the constant value'));
      return () => value;
    },
    property_name: (spec, path) => withDatatype(this.propertyName(spec, path), spec, path),
    property_path: (spec, path) => withDatatype(this.propertyPath(spec, path), spec, path),
    jsonpath: (spec, path) => this.jsonpath(spec, path),
    named: (spec, path) =>
      this.namedExpression(
        requireString(spec, 'name', path, 'the name of a named expression'),
        joinPath(path, 'name'),
      ),
    conditional: (spec, path) => this.conditional(spec, path),
    switch: (spec, path) => this.switchExpression(spec, path),
    coalesce: (spec, path) => this.coalesce(spec, path),
    array_index: (spec, path) => this.arrayIndex(spec, path),
    split_string: (spec, path) => this.splitString(spec, path),
    iterator: (spec, path) => this.iterator(spec, path),
    nested: (spec, path) => {
      const argument = this.sub(spec, 'argument_expression', path);
      const value = this.sub(spec, 'value_expression', path);
      return (item, ctx) => value(argument(item, ctx), ctx);
    },
    dict: (spec, path) => this.dict(spec, path),
    root_doc: (spec, path) => {
      const expr = this.sub(spec, 'expression', path);
      return (_item, ctx) => (ctx.root === null || ctx.root === undefined ? null : expr(ctx.root, ctx));
    },
    base_iteration_number: () => (_item, ctx) => ctx.iteration,
    related_doc: (spec, path) => this.relatedDoc(spec, path),
    evaluator: (spec, path) => this.evaluator(spec, path),
    utcnow: () => () => UcrDateTime.fromEpochMs(Date.now()),
    ...Object.fromEntries(
      ['add_days', 'add_months', 'add_hours', 'month_start_date', 'month_end_date', 'diff_days'].map(
        (type) => [type, (spec: Spec, path: string) => this.dateExpression(type, spec, path)],
      ),
    ),
    ethiopian_date_to_gregorian_date: (spec, path) => {
      const date = this.sub(spec, 'date_expression', path);
      return (item, ctx) => ethiopianToGregorianValue(date(item, ctx));
    },
    gregorian_date_to_ethiopian_date: (spec, path) => {
      const date = this.sub(spec, 'date_expression', path);
      return (item, ctx) => gregorianToEthiopianValue(toUcrDate(date(item, ctx)));
    },
    ...Object.fromEntries(
      ['filter_items', 'map_items', 'sort_items', 'reduce_items', 'flatten'].map((type) => [
        type,
        (spec: Spec, path: string) => this.listExpression(type, spec, path),
      ]),
    ),
    ...Object.fromEntries(
      [
        'indexed_case',
        'get_case_forms',
        'get_subcases',
        'get_case_sharing_groups',
        'get_reporting_groups',
        'location_type_name',
        'location_parent_id',
        'ancestor_location',
      ].map((type) => [type, (spec: Spec, path: string) => this.liveExpression(type, spec, path)]),
    ),
  };

  /** The expression types this compiler knows. */
  get expressionTypes(): string[] {
    return Object.keys(this.compilers);
  }

  /** Compiles an expression spec; a non-object is a constant (after literal conversion). */
  expression(spec: unknown, path: string): Expr {
    if (!isDict(spec)) {
      const value = convertLiteral(spec);
      return () => value;
    }
    const type = spec.type;
    if (typeof type !== 'string')
      throw new UcrConfigError(joinPath(path, 'type'), 'an expression type (a string)');
    const compile = Object.hasOwn(this.compilers, type) ? this.compilers[type] : undefined;
    if (compile === undefined) {
      throw new UcrConfigError(
        joinPath(path, 'type'),
        `a known expression type (got ${JSON.stringify(type)})`,
      );
    }
    return compile(spec, path);
  }

  /** The required sub-expression `key` of `spec`. */
  private sub(spec: Spec, key: string, path: string): Expr {
    return this.expression(requireKey(spec, key, path, 'an expression'), joinPath(path, key));
  }

  private conditional(spec: Spec, path: string): Expr {
    const test = this.filter(requireKey(spec, 'test', path, 'a filter'), joinPath(path, 'test'));
    const ifTrue = this.sub(spec, 'expression_if_true', path);
    const ifFalse = this.sub(spec, 'expression_if_false', path);
    return (item, ctx) => (test(item, ctx) ? ifTrue(item, ctx) : ifFalse(item, ctx));
  }

  private coalesce(spec: Spec, path: string): Expr {
    const expr = this.sub(spec, 'expression', path);
    const fallback = this.sub(spec, 'default_expression', path);
    return (item, ctx) => {
      const value = expr(item, ctx);
      const other = fallback(item, ctx);
      return value === null || value === undefined || value === '' ? other : value;
    };
  }

  private arrayIndex(spec: Spec, path: string): Expr {
    const array = this.sub(spec, 'array_expression', path);
    const index = this.sub(spec, 'index_expression', path);
    return (item, ctx) => {
      const list = array(item, ctx);
      const i = index(item, ctx);
      if (!Array.isArray(list) || !isPyIntLike(i)) return null;
      const n = Number(i);
      const at = n < 0 ? list.length + n : n;
      return at >= 0 && at < list.length ? ((list as unknown[])[at] ?? null) : null;
    };
  }

  private iterator(spec: Spec, path: string): Expr {
    const exprs = requireList(spec, 'expressions', path, 'a list of expressions', false).map((e, i) =>
      this.expression(e, joinPath(joinPath(path, 'expressions'), i)),
    );
    const testSpec = spec.test;
    const test =
      testSpec === undefined || testSpec === null || (isDict(testSpec) && Object.keys(testSpec).length === 0)
        ? undefined
        : this.filter(testSpec, joinPath(path, 'test'));
    return (item, ctx) => {
      const out: unknown[] = [];
      for (const e of exprs) {
        const value = e(item, ctx);
        if (test === undefined || test(value, ctx)) out.push(value);
      }
      return out;
    };
  }

  private dict(spec: Spec, path: string): Expr {
    const props = requireObject(
      requireKey(spec, 'properties', path, 'an object of expressions'),
      joinPath(path, 'properties'),
      'an object of expressions',
    );
    const entries = Object.entries(props);
    if (entries.length === 0) throw new UcrConfigError(joinPath(path, 'properties'), 'at least one property');
    const compiled = entries.map(
      ([k, e]) => [k, this.expression(e, joinPath(joinPath(path, 'properties'), k))] as const,
    );
    return (item, ctx) => {
      const out: Record<string, unknown> = {};
      for (const [k, e] of compiled) out[k] = e(item, ctx);
      return out;
    };
  }

  private propertyName(spec: Spec, path: string): Expr {
    const name = requireKey(spec, 'property_name', path, 'a property name or an expression');
    if (typeof name === 'string') {
      if (name === '') throw new UcrConfigError(joinPath(path, 'property_name'), 'a non-empty property name');
      return getter(name);
    }
    if (!isDict(name))
      throw new UcrConfigError(joinPath(path, 'property_name'), 'a property name or an expression');
    const key = this.expression(name, joinPath(path, 'property_name'));
    return (item, ctx) => {
      const k = key(item, ctx);
      if (typeof k !== 'string' || !isDict(item) || !Object.hasOwn(item, k)) return null;
      return item[k] ?? null;
    };
  }

  private propertyPath(spec: Spec, path: string): Expr {
    const parts = requireList(spec, 'property_path', path, 'a list of property names');
    parts.forEach((p, i) => {
      if (typeof p !== 'string')
        throw new UcrConfigError(joinPath(joinPath(path, 'property_path'), i), 'a property name (a string)');
    });
    const getters = (parts as string[]).map(getter);
    if (getters.length === 1) return getters[0]!;
    return (item) => {
      let value: unknown = item;
      for (const get of getters) {
        value = get(value);
        if (value === null) return null;
      }
      return value;
    };
  }

  private jsonpath(spec: Spec, path: string): Expr {
    const text = requireString(spec, 'jsonpath', path, 'a JSONPath');
    let steps;
    try {
      steps = parseJsonPath(text);
    } catch (error) {
      throw new UcrConfigError(
        joinPath(path, 'jsonpath'),
        `a JSONPath in the supported syntax: ${(error as Error).message}`,
      );
    }
    const datatype = spec.datatype;
    if (
      datatype !== undefined &&
      datatype !== null &&
      (typeof datatype !== 'string' || !(expressionDatatypes as readonly string[]).includes(datatype))
    ) {
      throw new UcrConfigError(joinPath(path, 'datatype'), `one of ${expressionDatatypes.join(', ')}`);
    }
    return (item) => {
      const matches = findJsonPath(steps, item).map((v) => coerceDatatype(v, datatype as string | undefined));
      return matches.length === 0 ? null : matches.length === 1 ? matches[0] : matches;
    };
  }

  private switchExpression(spec: Spec, path: string): Expr {
    const on = this.expression(
      requireKey(spec, 'switch_on', path, 'an expression'),
      joinPath(path, 'switch_on'),
    );
    const cases = requireObject(
      requireKey(spec, 'cases', path, 'an object of cases'),
      joinPath(path, 'cases'),
      'an object of cases',
    );
    const fallback = this.expression(
      requireKey(spec, 'default', path, 'an expression'),
      joinPath(path, 'default'),
    );
    const table = new Map<string, Expr>();
    for (const [key, e] of Object.entries(cases))
      table.set(key, this.expression(e, joinPath(joinPath(path, 'cases'), key)));
    return (item, ctx) => {
      // Case keys are strings, so only an equal string matches (an int or date never does).
      const value = on(item, ctx);
      const chosen = typeof value === 'string' ? table.get(value) : undefined;
      return (chosen ?? fallback)(item, ctx);
    };
  }

  private splitString(spec: Spec, path: string): Expr {
    const str = this.expression(
      requireKey(spec, 'string_expression', path, 'an expression'),
      joinPath(path, 'string_expression'),
    );
    const index =
      spec.index_expression === undefined || spec.index_expression === null
        ? undefined
        : this.expression(spec.index_expression, joinPath(path, 'index_expression'));
    const delimiter = optionalString(spec, 'delimiter', path);
    if (delimiter === '') throw new UcrConfigError(joinPath(path, 'delimiter'), 'a non-empty delimiter');
    const split =
      delimiter === undefined
        ? (s: string) => {
            const t = s.trim();
            return t === '' ? [] : t.split(/\s+/);
          }
        : (s: string) => s.split(delimiter);
    return (item, ctx) => {
      const s = str(item, ctx);
      if (typeof s !== 'string') return null;
      const parts = split(s);
      if (index === undefined) return parts;
      const i = index(item, ctx);
      if (!isPyIntLike(i)) return null;
      const n = Number(i);
      const at = n < 0 ? parts.length + n : n;
      return at >= 0 && at < parts.length ? parts[at] : null;
    };
  }

  private relatedDoc(spec: Spec, path: string): Expr {
    const docType = requireString(spec, 'related_doc_type', path, 'a document type');
    const kind = RELATED_DOC_KINDS[docType] ?? docType.toLowerCase();
    const idExpr = this.expression(
      requireKey(spec, 'doc_id_expression', path, 'an expression'),
      joinPath(path, 'doc_id_expression'),
    );
    const valueExpr = this.expression(
      requireKey(spec, 'value_expression', path, 'an expression'),
      joinPath(path, 'value_expression'),
    );
    return (item, ctx) => {
      const id = idExpr(item, ctx);
      if (!truthy(id)) return null;
      const doc = sameDomainDoc(ctx.lookup(kind, pyStr(id)), ctx);
      return valueExpr(doc, ctx.relatedTo(doc));
    };
  }

  private evaluator(spec: Spec, path: string): Expr {
    const statement = requireString(spec, 'statement', path, 'a Python expression');
    const varsSpec = spec.context_variables;
    let variables: Record<string, Expr> | undefined;
    if (varsSpec !== undefined && varsSpec !== null) {
      const vars = requireObject(varsSpec, joinPath(path, 'context_variables'), 'an object of expressions');
      if (Object.keys(vars).length > 0) {
        variables = {};
        for (const [k, e] of Object.entries(vars))
          variables[k] = this.expression(e, joinPath(joinPath(path, 'context_variables'), k));
      }
    }
    let compiled: Expr;
    try {
      compiled = compileEvaluator(statement, variables, {
        named: (name) =>
          Object.hasOwn(this.namedExpressions, name)
            ? this.namedExpression(name, joinPath(path, 'statement'))
            : undefined,
      });
    } catch (error) {
      if (error instanceof UcrConfigError) throw error;
      throw new UcrConfigError(
        joinPath(path, 'statement'),
        `a valid evaluator statement: ${(error as Error).message}`,
      );
    }
    return withDatatype(compiled, spec, path);
  }

  private dateExpression(type: string, spec: Spec, path: string): Expr {
    if (type === 'diff_days') {
      const from = this.expression(
        requireKey(spec, 'from_date_expression', path, 'an expression'),
        joinPath(path, 'from_date_expression'),
      );
      const to = this.expression(
        requireKey(spec, 'to_date_expression', path, 'an expression'),
        joinPath(path, 'to_date_expression'),
      );
      return (item, ctx) => {
        const a = toUcrDate(from(item, ctx));
        const b = toUcrDate(to(item, ctx));
        return a === null || b === null ? null : b.days - a.days;
      };
    }
    const date = this.expression(
      requireKey(spec, 'date_expression', path, 'an expression'),
      joinPath(path, 'date_expression'),
    );
    switch (type) {
      case 'add_days': {
        const count = this.expression(
          requireKey(spec, 'count_expression', path, 'an expression'),
          joinPath(path, 'count_expression'),
        );
        return (item, ctx) => {
          const d = toUcrDate(date(item, ctx));
          const n = toPyInteger(count(item, ctx));
          if (d === null || n === null) return null;
          const result = new UcrDate(d.days + n);
          return result.year >= 1 && result.year <= 9999 ? result : null;
        };
      }
      case 'add_months': {
        const months = this.expression(
          requireKey(spec, 'months_expression', path, 'an expression'),
          joinPath(path, 'months_expression'),
        );
        return (item, ctx) => {
          const d = toUcrDate(date(item, ctx));
          const n = toPyInteger(months(item, ctx));
          if (d === null || n === null) return null;
          const total = d.year * 12 + (d.month - 1) + n;
          const year = Math.floor(total / 12);
          const month = (total % 12) + 1;
          if (year < 1 || year > 9999) return null;
          return UcrDate.of(year, month, Math.min(d.day, daysInMonth(year, month)));
        };
      }
      case 'add_hours': {
        const count = this.expression(
          requireKey(spec, 'count_expression', path, 'an expression'),
          joinPath(path, 'count_expression'),
        );
        return (item, ctx) => {
          const d = toUcrDateTime(date(item, ctx));
          const n = toPyInteger(count(item, ctx));
          if (d === null || n === null) return null;
          const us = d.usOfDay + n * 3_600_000_000;
          const days = Math.floor(us / 86_400_000_000);
          const result = new UcrDateTime(d.days + days, us - days * 86_400_000_000);
          const year = result.date().year;
          return year >= 1 && year <= 9999 ? result : null;
        };
      }
      case 'month_start_date':
        return (item, ctx) => {
          const d = toUcrDate(date(item, ctx));
          return d === null ? null : UcrDate.of(d.year, d.month, 1);
        };
      case 'month_end_date':
        return (item, ctx) => {
          const d = toUcrDate(date(item, ctx));
          return d === null ? null : UcrDate.of(d.year, d.month, daysInMonth(d.year, d.month));
        };
      default:
        throw new UcrConfigError(joinPath(path, 'type'), 'a date expression type');
    }
  }

  private listExpression(type: string, spec: Spec, path: string): Expr {
    const items = this.expression(
      requireKey(spec, 'items_expression', path, 'an expression'),
      joinPath(path, 'items_expression'),
    );
    switch (type) {
      case 'filter_items': {
        const test = this.filter(
          requireKey(spec, 'filter_expression', path, 'a filter'),
          joinPath(path, 'filter_expression'),
        );
        return (item, ctx) => asList(items(item, ctx)).filter((x) => test(x, ctx));
      }
      case 'map_items': {
        const map = this.expression(
          requireKey(spec, 'map_expression', path, 'an expression'),
          joinPath(path, 'map_expression'),
        );
        return (item, ctx) => asList(items(item, ctx)).map((x) => map(x, ctx));
      }
      case 'sort_items': {
        const key = this.expression(
          requireKey(spec, 'sort_expression', path, 'an expression'),
          joinPath(path, 'sort_expression'),
        );
        const order = spec.order ?? 'ASC';
        if (order !== 'ASC' && order !== 'DESC')
          throw new UcrConfigError(joinPath(path, 'order'), 'ASC or DESC');
        const direction = order === 'DESC' ? -1 : 1;
        return (item, ctx) => sortItems(asList(items(item, ctx)), (x) => key(x, ctx), direction);
      }
      case 'reduce_items': {
        const fn = requireString(spec, 'aggregation_fn', path, 'an aggregation function');
        const reduce = REDUCERS[fn];
        if (reduce === undefined) {
          throw new UcrConfigError(
            joinPath(path, 'aggregation_fn'),
            `one of ${Object.keys(REDUCERS).join(', ')}`,
          );
        }
        return (item, ctx) => reduce(asList(items(item, ctx)));
      }
      case 'flatten':
        return (item, ctx) => {
          const list = asList(items(item, ctx));
          const out: unknown[] = [];
          for (const inner of list) {
            if (!Array.isArray(inner)) return [];
            out.push(...(inner as unknown[]));
          }
          return out;
        };
      default:
        throw new UcrConfigError(joinPath(path, 'type'), 'a list expression type');
    }
  }

  private liveExpression(type: string, spec: Spec, path: string): Expr {
    switch (type) {
      case 'indexed_case': {
        const caseExpr = this.expression(
          requireKey(spec, 'case_expression', path, 'an expression'),
          joinPath(path, 'case_expression'),
        );
        const index = optionalString(spec, 'index', path) ?? 'parent';
        return (item, ctx) => {
          const theCase = caseExpr(item, ctx);
          if (!isDict(theCase)) return null;
          const indices = Array.isArray(theCase.indices)
            ? theCase.indices
            : isDict(theCase.indices)
              ? [theCase.indices]
              : [];
          const found = indices.find((i) => isDict(i) && pyEquals(i.identifier, index)) as
            Record<string, unknown> | undefined;
          const id = found?.referenced_id;
          if (!truthy(id)) return null;
          return sameDomainDoc(ctx.lookup('case', pyStr(id)), ctx);
        };
      }
      case 'get_case_forms': {
        const caseId = this.expression(
          requireKey(spec, 'case_id_expression', path, 'an expression'),
          joinPath(path, 'case_id_expression'),
        );
        const xmlns = spec.xmlns;
        if (
          xmlns !== undefined &&
          xmlns !== null &&
          (!Array.isArray(xmlns) || !xmlns.every((x) => typeof x === 'string'))
        ) {
          throw new UcrConfigError(joinPath(path, 'xmlns'), 'a list of xmlns strings');
        }
        const wanted = Array.isArray(xmlns) && xmlns.length > 0 ? new Set(xmlns) : undefined;
        return (item, ctx) => {
          const id = caseId(item, ctx);
          if (!truthy(id)) return [];
          const forms = asList(ctx.lookup('case_forms', pyStr(id))).filter(
            (f) => isDict(f) && f.domain === ctx.domain,
          );
          return wanted === undefined
            ? forms
            : forms.filter((f) => wanted.has((f as { xmlns?: unknown }).xmlns as string));
        };
      }
      case 'get_subcases':
        return this.listLookup(spec, path, 'case_id_expression', 'subcases');
      case 'get_case_sharing_groups':
        return this.listLookup(spec, path, 'user_id_expression', 'case_sharing_groups');
      case 'get_reporting_groups':
        return this.listLookup(spec, path, 'user_id_expression', 'reporting_groups');
      case 'location_type_name':
      case 'location_parent_id': {
        const locId = this.expression(
          requireKey(spec, 'location_id_expression', path, 'an expression'),
          joinPath(path, 'location_id_expression'),
        );
        const field = type === 'location_type_name' ? 'location_type' : 'parent_location_id';
        return (item, ctx) => {
          const id = locId(item, ctx);
          if (!truthy(id)) return null;
          const loc = sameDomainDoc(ctx.lookup('location', pyStr(id)), ctx);
          return isDict(loc) ? (loc[field] ?? null) : null;
        };
      }
      case 'ancestor_location': {
        const locId = this.expression(
          requireKey(spec, 'location_id', path, 'an expression'),
          joinPath(path, 'location_id'),
        );
        const locType = this.expression(
          requireKey(spec, 'location_type', path, 'an expression'),
          joinPath(path, 'location_type'),
        );
        return (item, ctx) => {
          const id = locId(item, ctx);
          const wantedType = locType(item, ctx);
          if (!truthy(id) || !truthy(wantedType)) return null;
          const ancestors = asList(ctx.lookup('ancestor_locations', pyStr(id)));
          return ancestors.find((a) => isDict(a) && pyEquals(a.location_type, wantedType)) ?? null;
        };
      }
      default:
        throw new UcrConfigError(joinPath(path, 'type'), 'a known expression type');
    }
  }

  private listLookup(spec: Spec, path: string, idKey: string, kind: string): Expr {
    const idExpr = this.expression(requireKey(spec, idKey, path, 'an expression'), joinPath(path, idKey));
    return (item, ctx) => {
      const id = idExpr(item, ctx);
      if (!truthy(id)) return [];
      return asList(ctx.lookup(kind, pyStr(id)));
    };
  }

  /** Compiles a filter spec. */
  filter(spec: unknown, path: string): Filter {
    const f = requireObject(spec, path, 'a filter');
    const type = f.type;
    if (typeof type !== 'string')
      throw new UcrConfigError(joinPath(path, 'type'), 'a filter type (a string)');
    switch (type) {
      case 'boolean_expression': {
        rejectUnknownKeys(f, FILTER_KEYS.boolean_expression, path, 'a boolean_expression filter');
        const expr = this.expression(
          requireKey(f, 'expression', path, 'an expression'),
          joinPath(path, 'expression'),
        );
        const operatorName = requireKey(f, 'operator', path, 'an operator');
        const refSpec = requireKey(f, 'property_value', path, 'a value or an expression');
        return this.operatorFilter(expr, operatorName, refSpec, path);
      }
      case 'property_match': {
        rejectUnknownKeys(f, FILTER_KEYS.property_match, path, 'a property_match filter');
        const hasName = f.property_name !== undefined && f.property_name !== null && f.property_name !== '';
        const hasPath = Array.isArray(f.property_path) && f.property_path.length > 0;
        if (hasName === hasPath) {
          throw new UcrConfigError(path, 'exactly one of property_name and property_path (non-empty)');
        }
        const expr = hasName
          ? this.expression({ type: 'property_name', property_name: f.property_name }, path)
          : this.expression({ type: 'property_path', property_path: f.property_path }, path);
        const ref = convertLiteral(requireKey(f, 'property_value', path, 'a value'));
        return (item, ctx) => pyEquals(expr(item, ctx), ref);
      }
      case 'and':
      case 'or': {
        const filters = requireList(f, 'filters', path, 'a list of filters').map((s, i) =>
          this.filter(s, joinPath(joinPath(path, 'filters'), i)),
        );
        if (filters.length === 1) return filters[0]!;
        if (type === 'and') {
          return (item, ctx) => {
            for (const sub of filters) if (!sub(item, ctx)) return false;
            return true;
          };
        }
        return (item, ctx) => {
          for (const sub of filters) if (sub(item, ctx)) return true;
          return false;
        };
      }
      case 'not': {
        rejectUnknownKeys(f, FILTER_KEYS.not, path, 'a not filter');
        const inner = requireKey(f, 'filter', path, 'a filter');
        if (!isDict(inner))
          throw new UcrConfigError(joinPath(path, 'filter'), 'a single filter object (not a list)');
        const sub = this.filter(inner, joinPath(path, 'filter'));
        return (item, ctx) => !sub(item, ctx);
      }
      case 'named': {
        rejectUnknownKeys(f, FILTER_KEYS.named, path, 'a named filter');
        return this.namedFilter(
          requireString(f, 'name', path, 'the name of a named filter'),
          joinPath(path, 'name'),
        );
      }
      default:
        throw new UcrConfigError(joinPath(path, 'type'), `a known filter type (got ${JSON.stringify(type)})`);
    }
  }

  private operatorFilter(expr: Expr, operatorName: unknown, refSpec: unknown, path: string): Filter {
    const constantRef = !isDict(refSpec);
    const ref = constantRef ? convertLiteral(refSpec) : undefined;
    const refExpr = constantRef ? undefined : this.expression(refSpec, joinPath(path, 'property_value'));
    if (operatorName === 'regex') {
      if (constantRef) {
        if (typeof ref !== 'string') return () => false;
        let re: RegExp;
        try {
          re = pythonRegex(ref);
        } catch (error) {
          throw new UcrConfigError(
            joinPath(path, 'property_value'),
            `a valid regular expression: ${(error as Error).message}`,
          );
        }
        return (item, ctx) => {
          const value = expr(item, ctx);
          return typeof value === 'string' && re.test(value);
        };
      }
      return (item, ctx) => {
        const value = expr(item, ctx);
        const pattern = refExpr!(item, ctx);
        if (typeof value !== 'string' || typeof pattern !== 'string') return false;
        try {
          return pythonRegex(pattern).test(value);
        } catch {
          return false;
        }
      };
    }
    const op =
      typeof operatorName === 'string' && Object.hasOwn(operators, operatorName)
        ? operators[operatorName]
        : undefined;
    if (op === undefined) {
      throw new UcrConfigError(
        joinPath(path, 'operator'),
        `one of ${[...Object.keys(operators), 'regex'].join(', ')} (got ${JSON.stringify(operatorName)})`,
      );
    }
    if (constantRef) return (item, ctx) => op(expr(item, ctx), ref);
    return (item, ctx) => op(expr(item, ctx), refExpr!(item, ctx));
  }
}

/** A looked-up document, or null when missing or of another domain than the root document. */
function sameDomainDoc(doc: unknown, ctx: EvalContext): unknown {
  if (!isDict(doc)) return null;
  return doc.domain === ctx.domain ? doc : null;
}

/** Python `sorted(items, key=lambda i: (0 if v is None else 1, v))`; [] when keys are incomparable. */
function sortItems(list: unknown[], key: (x: unknown) => unknown, direction: number): unknown[] {
  const keyed = list.map((x) => {
    const k = key(x);
    return { x, present: k === null || k === undefined ? 0 : 1, k };
  });
  let failed = false;
  keyed.sort((a, b) => {
    if (a.present !== b.present) return (a.present - b.present) * direction;
    if (a.present === 0 || pyEquals(a.k, b.k)) return 0;
    const c = pyCompare(a.k, b.k);
    if (c === undefined || Number.isNaN(c)) {
      if (c === undefined) failed = true;
      return 0;
    }
    return c * direction;
  });
  return failed ? [] : keyed.map((e) => e.x);
}

function minMax(list: unknown[], sign: number): unknown {
  if (list.length === 0) return null;
  let best = list[0];
  for (let i = 1; i < list.length; i++) {
    const c = pyCompare(list[i], best);
    if (c === undefined) return null;
    if (c * sign > 0) best = list[i];
  }
  return best ?? null;
}

const REDUCERS: Readonly<Record<string, (list: unknown[]) => unknown>> = {
  count: (list) => list.length,
  sum: (list) => {
    try {
      let total: unknown = 0;
      for (const x of list) total = pyAdd(total, x);
      return total;
    } catch (error) {
      if (error instanceof PyTypeError) return null;
      throw error;
    }
  },
  min: (list) => minMax(list, -1),
  max: (list) => minMax(list, 1),
  first_item: (list) => (list.length === 0 ? null : (list[0] ?? null)),
  last_item: (list) => (list.length === 0 ? null : (list[list.length - 1] ?? null)),
  join: (list) => list.map((x) => (x === null || x === undefined ? '' : pyStr(x))).join(''),
};
