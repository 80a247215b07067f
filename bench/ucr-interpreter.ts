/**
 * The baseline for the `ucr-eval` benchmark: a straightforward recursive interpreter that walks the
 * data source JSON for every document (no compile step), reusing the UCR value functions. It covers
 * the expression, filter and indicator types the benchmark's data sources use, and must give the
 * same rows as `compileDataSource` (the benchmark checks).
 */
import type { UcrLookups, UcrRow, UcrStoredValue } from '../commcare/ucr/contract.js';
import { EvalContext } from '../commcare/ucr/compile/eval-context.js';
import { operators } from '../commcare/ucr/compile/operators.js';
import { toStoredValue } from '../commcare/ucr/compile/stored-value.js';
import { compileEvaluator } from '../commcare/ucr/evaluator/compile-evaluator.js';
import { coerceDatatype } from '../commcare/ucr/values/coerce-datatype.js';
import { isDict, truthy } from '../commcare/ucr/values/kinds.js';
import { convertLiteral } from '../commcare/ucr/values/literal-convert.js';
import { pyEquals } from '../commcare/ucr/values/py-compare.js';
import { pyStr } from '../commcare/ucr/values/py-str.js';
import type { UcrDatatype } from '../commcare/ucr/contract.js';

type Spec = Record<string, unknown>;

const KINDS: Record<string, string> = {
  CommCareCase: 'case',
  XFormInstance: 'form',
  Location: 'location',
  CommCareUser: 'user',
};

export class UcrInterpreter {
  constructor(private readonly config: Spec) {}

  expression(spec: unknown, item: unknown, ctx: EvalContext): unknown {
    if (!isDict(spec)) return convertLiteral(spec);
    const s = spec;
    switch (s.type) {
      case 'identity':
        return item;
      case 'constant':
        return convertLiteral(s.constant);
      case 'property_name': {
        const key =
          typeof s.property_name === 'string' ? s.property_name : this.expression(s.property_name, item, ctx);
        const value =
          isDict(item) && typeof key === 'string' && Object.hasOwn(item, key) ? (item[key] ?? null) : null;
        return coerceDatatype(value, s.datatype as string | undefined);
      }
      case 'property_path': {
        let value: unknown = item;
        for (const key of s.property_path as string[])
          value = isDict(value) && Object.hasOwn(value, key) ? (value[key] ?? null) : null;
        return coerceDatatype(value, s.datatype as string | undefined);
      }
      case 'named':
        return this.expression((this.config.named_expressions as Spec)[s.name as string], item, ctx);
      case 'root_doc':
        return this.expression(s.expression, ctx.root, ctx);
      case 'base_iteration_number':
        return ctx.iteration;
      case 'conditional':
        return this.filter(s.test, item, ctx)
          ? this.expression(s.expression_if_true, item, ctx)
          : this.expression(s.expression_if_false, item, ctx);
      case 'switch': {
        const value = this.expression(s.switch_on, item, ctx);
        const cases = s.cases as Spec;
        return typeof value === 'string' && Object.hasOwn(cases, value)
          ? this.expression(cases[value], item, ctx)
          : this.expression(s.default, item, ctx);
      }
      case 'coalesce': {
        const value = this.expression(s.expression, item, ctx);
        const fallback = this.expression(s.default_expression, item, ctx);
        return value === null || value === '' ? fallback : value;
      }
      case 'nested':
        return this.expression(s.value_expression, this.expression(s.argument_expression, item, ctx), ctx);
      case 'related_doc': {
        const id = this.expression(s.doc_id_expression, item, ctx);
        if (!truthy(id)) return null;
        const kind = KINDS[s.related_doc_type as string] ?? (s.related_doc_type as string).toLowerCase();
        const found = ctx.lookup(kind, pyStr(id));
        const doc = isDict(found) && found.domain === ctx.domain ? found : null;
        return this.expression(s.value_expression, doc, ctx.relatedTo(doc));
      }
      case 'evaluator': {
        const vars = s.context_variables as Spec | undefined;
        const compiled = compileEvaluator(
          s.statement as string,
          vars === undefined
            ? undefined
            : Object.fromEntries(
                Object.entries(vars).map(([k, v]) => [
                  k,
                  (i: unknown, c: EvalContext) => this.expression(v, i, c),
                ]),
              ),
          { named: () => undefined },
        );
        return coerceDatatype(compiled(item, ctx), s.datatype as string | undefined);
      }
      case 'reduce_items': {
        const items = this.expression(s.items_expression, item, ctx);
        const list = Array.isArray(items) ? items : [];
        if (s.aggregation_fn === 'count') return list.length;
        throw new Error(`interpreter: aggregation ${String(s.aggregation_fn)}`);
      }
      default:
        throw new Error(`interpreter: expression type ${String(s.type)}`);
    }
  }

  filter(spec: unknown, item: unknown, ctx: EvalContext): boolean {
    const s = spec as Spec;
    switch (s.type) {
      case 'boolean_expression':
        return operators[s.operator as string]!(
          this.expression(s.expression, item, ctx),
          this.expression(s.property_value, item, ctx),
        );
      case 'and':
        return (s.filters as unknown[]).every((f) => this.filter(f, item, ctx));
      case 'or':
        return (s.filters as unknown[]).some((f) => this.filter(f, item, ctx));
      case 'not':
        return !this.filter(s.filter, item, ctx);
      case 'named':
        return this.filter((this.config.named_filters as Spec)[s.name as string], item, ctx);
      default:
        throw new Error(`interpreter: filter type ${String(s.type)}`);
    }
  }

  /** The rows of one document, or null when it does not match. */
  rows(doc: unknown, lookups: UcrLookups): UcrRow[] | null {
    const c = this.config;
    if (!isDict(doc) || !pyEquals(doc.domain, c.domain) || !pyEquals(doc.doc_type, c.referenced_doc_type))
      return null;
    const ctx = new EvalContext(doc, lookups);
    if (
      isDict(c.configured_filter) &&
      Object.keys(c.configured_filter).length > 0 &&
      !this.filter(c.configured_filter, doc, ctx)
    )
      return null;
    const base = c.base_item_expression;
    const hasBase = isDict(base) && Object.keys(base).length > 0;
    let items: unknown[] = [doc];
    if (hasBase) {
      const value = this.expression(base, doc, ctx);
      items = value === null ? [] : Array.isArray(value) ? value : [value];
    }
    const rows: UcrRow[] = [];
    items.forEach((item, i) => {
      ctx.iteration = i;
      const row: Record<string, UcrStoredValue> = { doc_id: pyStr(doc._id ?? null) };
      if (hasBase) row.repeat_iteration = i;
      for (const indicator of c.configured_indicators as Spec[]) {
        const id = indicator.column_id as string;
        if (indicator.type === 'expression') {
          const datatype = indicator.datatype as UcrDatatype;
          row[id] = toStoredValue(
            coerceDatatype(this.expression(indicator.expression, item, ctx), datatype),
            datatype,
          );
        } else if (indicator.type === 'boolean') {
          row[id] = this.filter(indicator.filter, item, ctx) ? 1 : 0;
        } else if (indicator.type === 'count') {
          row[id] = 1;
        } else throw new Error(`interpreter: indicator type ${String(indicator.type)}`);
      }
      rows.push(row);
    });
    return rows;
  }
}
