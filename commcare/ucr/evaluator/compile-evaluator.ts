/**
 * The `evaluator` expression (the reference's §7): a Python expression parsed once into an AST and
 * compiled into closures, never `eval`. Follows CommCare's simpleeval setup: variables from
 * `context_variables` (or the item's own keys), its function table, `**`/method calls/lambdas/dict
 * comprehensions refused. Any error while evaluating — refused construct, unknown name, TypeError,
 * ZeroDivisionError, and also the IndexError/KeyError/ValueError CommCare lets through — gives null.
 */
import type { EvalContext } from '../compile/eval-context.js';
import { findJsonPath, parseJsonPath } from '../compile/jsonpath.js';
import { toUcrDate } from '../values/coerce-datatype.js';
import {
  Decimal,
  isDict,
  kindOf,
  makeFloat,
  PyFloat,
  truthy,
  UcrDate,
  UcrDateTime,
  UcrTimedelta,
  type UcrKind,
} from '../values/kinds.js';
import {
  pyAdd,
  pyFloorDiv,
  pyIntOp,
  pyMod,
  pyMul,
  pyNeg,
  pyPos,
  pySub,
  pyTrueDiv,
} from '../values/py-arith.js';
import { floatToDecimal, pyCompare, pyEquals } from '../values/py-compare.js';
import { parsePyFloat, parsePyInt } from '../values/py-parse.js';
import { pyStr } from '../values/py-str.js';
import { parseStatement, type Node } from './parse-statement.js';

type Expr = (item: unknown, ctx: EvalContext) => unknown;

export interface EvaluatorHooks {
  /** The compiled named expression, or undefined when the data source has none of that name. */
  named(name: string): Expr | undefined;
}

interface Env {
  readonly names: Record<string, unknown>;
  readonly item: unknown;
  readonly ctx: EvalContext;
  readonly locals: Map<string, unknown> | null;
}

type Compiled = (env: Env) => unknown;

/** What Python raises and CommCare turns into None (or lets through; here null either way). */
class EvalFailure extends Error {
  override readonly name = 'EvalFailure';
}

function fail(message: string): never {
  throw new EvalFailure(message);
}

const SAFE_KINDS: ReadonlySet<UcrKind> = new Set([
  'float',
  'decimal',
  'date',
  'datetime',
  'null',
  'boolean',
  'integer',
  'string',
  'dict',
  'list',
]);

function asInt(value: unknown, what: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return fail(`${what} must be an int`);
}

function pyInt(value: unknown): number {
  switch (kindOf(value)) {
    case 'boolean':
    case 'integer':
      return asInt(value, 'int()');
    case 'float': {
      const x = value instanceof PyFloat ? value.value : (value as number);
      if (!Number.isFinite(x)) fail('cannot convert float to integer');
      return Math.trunc(x) + 0;
    }
    case 'decimal': {
      const d = value as Decimal;
      if (!d.isFinite()) fail('cannot convert Decimal to integer');
      return d.trunc().toNumber() + 0;
    }
    case 'string': {
      const n = parsePyInt(value as string);
      return n === null ? fail(`invalid literal for int(): ${value as string}`) : n;
    }
    default:
      return fail('int() argument must be a string or a number');
  }
}

function pyFloat(value: unknown): unknown {
  switch (kindOf(value)) {
    case 'boolean':
    case 'integer':
      return makeFloat(asInt(value, 'float()'));
    case 'float':
      return value;
    case 'decimal':
      return makeFloat((value as Decimal).toNumber());
    case 'string': {
      const x = parsePyFloat(value as string);
      return x === null ? fail(`could not convert string to float: ${value as string}`) : makeFloat(x);
    }
    default:
      return fail('float() argument must be a string or a number');
  }
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function pyRound(value: unknown, digits: unknown): unknown {
  const hasDigits = digits !== undefined && digits !== null;
  const n = hasDigits ? asInt(digits, 'round() digits') : 0;
  switch (kindOf(value)) {
    case 'boolean':
    case 'integer': {
      const x = asInt(value, 'round()');
      if (!hasDigits || n >= 0) return x;
      const unit = new Decimal(10).pow(-n);
      return new Decimal(x).div(unit).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).times(unit).toNumber() + 0;
    }
    case 'float': {
      const x = value instanceof PyFloat ? value.value : (value as number);
      if (!hasDigits) {
        if (!Number.isFinite(x)) fail('cannot convert float to integer');
        return roundHalfEven(x) + 0;
      }
      if (!Number.isFinite(x)) return value;
      // Python rounds the exact binary value (round(2.675, 2) == 2.67).
      const d = floatToDecimal(x);
      const rounded =
        n >= 0
          ? d.toDecimalPlaces(n, Decimal.ROUND_HALF_EVEN)
          : d
              .div(new Decimal(10).pow(-n))
              .toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN)
              .times(new Decimal(10).pow(-n));
      return makeFloat(rounded.toNumber());
    }
    case 'decimal': {
      const d = value as Decimal;
      if (!hasDigits) {
        if (!d.isFinite()) fail('cannot round a non-finite Decimal');
        return d.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toNumber() + 0;
      }
      return n >= 0
        ? d.toDecimalPlaces(n, Decimal.ROUND_HALF_EVEN)
        : d
            .div(new Decimal(10).pow(-n))
            .toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN)
            .times(new Decimal(10).pow(-n));
    }
    default:
      return fail('type does not define __round__');
  }
}

function safeRange(args: unknown[]): unknown {
  if (args.length === 0 || args.length > 3) fail('range expected 1 to 3 arguments');
  const ints = args.map((a) => asInt(a, 'range()'));
  const [start, stop, step] = ints.length === 1 ? [0, ints[0]!, 1] : [ints[0]!, ints[1]!, ints[2] ?? 1];
  if (step === 0) fail('range() arg 3 must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count >= 100) return null;
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * step);
  return out;
}

// strptime for the evaluator's date(value, fmt): the common directives.
function strptime(value: string, fmt: string): UcrDate {
  const parts: Record<string, number> = {};
  let re = '^';
  const order: string[] = [];
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch === '%' && i + 1 < fmt.length) {
      const d = fmt[++i]!;
      const pattern: Record<string, string> = {
        Y: '(\\d{4})',
        m: '(1[0-2]|0[1-9]|[1-9])',
        d: '(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])',
        y: '(\\d\\d)',
        H: '(2[0-3]|[0-1]\\d|\\d)',
        M: '([0-5]\\d|\\d)',
        S: '(6[0-1]|[0-5]\\d|\\d)',
        '%': '%',
      };
      const p = pattern[d];
      if (p === undefined) fail(`unsupported strptime directive %${d}`);
      re += p;
      if (d !== '%') order.push(d);
    } else if (/\s/.test(ch)) re += '\\s+';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(`${re}$`, 'i').exec(value);
  if (m === null) fail(`time data ${value} does not match format ${fmt}`);
  order.forEach((d, i) => (parts[d] = Number(m[i + 1]!.trim())));
  const year = parts.Y ?? (parts.y === undefined ? 1900 : parts.y < 69 ? 2000 + parts.y : 1900 + parts.y);
  return UcrDate.of(year, parts.m ?? 1, parts.d ?? 1) ?? fail('day is out of range for month');
}

function pyIn(a: unknown, b: unknown): boolean {
  if (Array.isArray(b)) return b.some((x) => pyEquals(a, x));
  if (typeof b === 'string')
    return typeof a === 'string' ? b.includes(a) : fail("'in <string>' requires string as left operand");
  if (isDict(b)) return typeof a === 'string' && Object.hasOwn(b, a);
  return fail('argument of type is not iterable');
}

function pyIs(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return b === null || b === undefined;
  return a === b;
}

function compareOp(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return pyEquals(a, b);
    case '!=':
      return !pyEquals(a, b);
    case 'in':
      return pyIn(a, b);
    case 'not in':
      return !pyIn(a, b);
    case 'is':
      return pyIs(a, b);
    case 'is not':
      return !pyIs(a, b);
    default: {
      const c = pyCompare(a, b);
      if (c === undefined) fail(`'${op}' not supported between ${kindOf(a)} and ${kindOf(b)}`);
      if (op === '<') return c < 0;
      if (op === '<=') return c <= 0;
      if (op === '>') return c > 0;
      return c >= 0;
    }
  }
}

function iterate(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value);
  if (isDict(value)) return Object.keys(value);
  return fail(`${kindOf(value)} is not iterable`);
}

function subscript(container: unknown, key: unknown): unknown {
  if (Array.isArray(container) || typeof container === 'string') {
    const i = asInt(key, 'indices');
    const at = i < 0 ? container.length + i : i;
    if (at < 0 || at >= container.length) fail('index out of range');
    return container[at] ?? null;
  }
  if (isDict(container)) {
    if (typeof key !== 'string' || !Object.hasOwn(container, key)) fail('KeyError');
    return container[key] ?? null;
  }
  return fail(`${kindOf(container)} is not subscriptable`);
}

function slice(container: unknown, lower: unknown, upper: unknown, step: unknown): unknown {
  if (!Array.isArray(container) && typeof container !== 'string')
    fail(`${kindOf(container)} is not subscriptable`);
  const n = container.length;
  const s = step === null || step === undefined ? 1 : asInt(step, 'slice step');
  if (s === 0) fail('slice step cannot be zero');
  const norm = (v: unknown, dflt: number, lo: number, hi: number) => {
    if (v === null || v === undefined) return dflt;
    const i = asInt(v, 'slice indices');
    const j = i < 0 ? i + n : i;
    return Math.min(Math.max(j, lo), hi);
  };
  const start = s > 0 ? norm(lower, 0, 0, n) : norm(lower, n - 1, -1, n - 1);
  const stop = s > 0 ? norm(upper, n, 0, n) : norm(upper, -1, -1, n - 1);
  const out: unknown[] = [];
  for (let i = start; s > 0 ? i < stop : i > stop; i += s) out.push(container[i]);
  return typeof container === 'string' ? out.join('') : out;
}

function binary(op: string, a: unknown, b: unknown): unknown {
  switch (op) {
    case '+':
      return pyAdd(a, b);
    case '-':
      return pySub(a, b);
    case '*':
      return pyMul(a, b);
    case '/':
      return pyTrueDiv(a, b);
    case '//':
      return pyFloorDiv(a, b);
    case '%':
      if (typeof a === 'string') fail('string formatting is not supported');
      return pyMod(a, b);
    case '<<':
      return pyIntOp(a, b, (x, y) => (y < 0n ? fail('negative shift count') : x << y));
    case '>>':
      return pyIntOp(a, b, (x, y) => (y < 0n ? fail('negative shift count') : x >> y));
    case '&':
      return pyIntOp(a, b, (x, y) => x & y);
    case '|':
      return pyIntOp(a, b, (x, y) => x | y);
    case '^':
      return pyIntOp(a, b, (x, y) => x ^ y);
    default:
      return fail(`operator ${op} is not allowed`);
  }
}

function dedupe(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (!out.some((o) => pyEquals(o, v))) out.push(v);
  return out;
}

type Fn = (args: unknown[], keywords: Record<string, unknown>, env: Env) => unknown;

function arity(args: unknown[], min: number, max: number, name: string): void {
  if (args.length < min || args.length > max) fail(`${name}() takes ${min}-${max} arguments`);
}

function makeFunctions(hooks: EvaluatorHooks): Readonly<Record<string, Fn>> {
  return {
    int: (args) => {
      arity(args, 0, 1, 'int');
      return args.length === 0 ? 0 : pyInt(args[0]);
    },
    float: (args) => {
      arity(args, 0, 1, 'float');
      return args.length === 0 ? new PyFloat(0) : pyFloat(args[0]);
    },
    str: (args) => {
      arity(args, 0, 1, 'str');
      return args.length === 0 ? '' : pyStr(args[0]);
    },
    rand: () => Math.random(),
    randint: (args) => {
      arity(args, 1, 1, 'randint');
      return Math.floor(Math.random() * asInt(args[0], 'randint()'));
    },
    round: (args, kw) => {
      arity(args, 1, 2, 'round');
      return pyRound(args[0], args[1] ?? kw.ndigits);
    },
    range: (args) => safeRange(args),
    today: (args) => {
      arity(args, 0, 0, 'today');
      return UcrDateTime.fromEpochMs(Date.now()).date();
    },
    days: (args) => {
      arity(args, 1, 1, 'days');
      const td = args[0];
      return td instanceof UcrTimedelta ? td.days : fail('days() needs a timedelta');
    },
    timedelta_to_seconds: (args) => {
      arity(args, 1, 1, 'timedelta_to_seconds');
      const td = args[0];
      return td instanceof UcrTimedelta ? makeFloat(td.totalSeconds()) : null;
    },
    context: (args, _kw, env) => {
      arity(args, 0, 0, 'context');
      return env.names;
    },
    root_context: (args, _kw, env) => {
      arity(args, 0, 0, 'root_context');
      return env.ctx.root ?? null;
    },
    named: (args, kw, env) => {
      arity(args, 1, 2, 'named');
      const name = args[0];
      if (typeof name !== 'string') fail('named() needs a name');
      const context = args[1] ?? kw.context;
      let expr: Expr | undefined;
      try {
        expr = hooks.named(name);
      } catch (error) {
        fail((error as Error).message);
      }
      if (expr === undefined) fail(`no named expression ${name}`);
      return expr(truthy(context) ? context : env.names, env.ctx);
    },
    jsonpath: (args, kw, env) => {
      arity(args, 1, 3, 'jsonpath');
      const path = args[0];
      if (typeof path !== 'string') fail('jsonpath() needs a path');
      const context = args[1] ?? kw.context;
      const asList = truthy(args[2] ?? kw.as_list);
      let steps;
      try {
        steps = parseJsonPath(path);
      } catch (error) {
        return fail((error as Error).message);
      }
      const values = findJsonPath(steps, truthy(context) ? context : env.names);
      if (asList) return values;
      return values.length === 0 ? null : values.length === 1 ? values[0] : values;
    },
    date: (args, kw) => {
      arity(args, 1, 2, 'date');
      const value = args[0];
      const fmt = args[1] ?? kw.fmt;
      if (typeof value === 'string' && typeof fmt === 'string') return strptime(value, fmt);
      if (value instanceof UcrDateTime) return value.date();
      if (value instanceof UcrDate) return value;
      if (typeof value === 'string') return toUcrDate(value) ?? fail(`not a date: ${value}`);
      return fail('date() needs a string or a date');
    },
  };
}

function compileNode(node: Node, functions: Readonly<Record<string, Fn>>): Compiled {
  const c = (n: Node) => compileNode(n, functions);
  switch (node.t) {
    case 'const': {
      const value = node.value;
      return () => value;
    }
    case 'name': {
      const id = node.id;
      return (env) => {
        if (env.locals !== null && env.locals.has(id)) return env.locals.get(id);
        if (Object.hasOwn(env.names, id)) return env.names[id] ?? null;
        return fail(`name ${id} is not defined`);
      };
    }
    case 'refused': {
      const what = node.what;
      return () => fail(`${what} is not allowed`);
    }
    case 'unary': {
      const operand = c(node.operand);
      if (node.op === '-') return (env) => pyNeg(operand(env));
      if (node.op === '+') return (env) => pyPos(operand(env));
      return (env) => pyIntOp(operand(env), 0, (x) => ~x);
    }
    case 'not': {
      const operand = c(node.operand);
      return (env) => !truthy(operand(env));
    }
    case 'bin': {
      const left = c(node.left);
      const right = c(node.right);
      const op = node.op;
      return (env) => binary(op, left(env), right(env));
    }
    case 'bool': {
      const values = node.values.map(c);
      const isAnd = node.op === 'and';
      return (env) => {
        let value: unknown = null;
        for (const v of values) {
          value = v(env);
          if (truthy(value) !== isAnd) return value;
        }
        return value;
      };
    }
    case 'compare': {
      const left = c(node.left);
      const comparators = node.comparators.map(c);
      const ops = node.ops;
      return (env) => {
        let a = left(env);
        for (let i = 0; i < ops.length; i++) {
          const b = comparators[i]!(env);
          if (!compareOp(ops[i]!, a, b)) return false;
          a = b;
        }
        return true;
      };
    }
    case 'ifexp': {
      const test = c(node.test);
      const body = c(node.body);
      const orelse = c(node.orelse);
      return (env) => (truthy(test(env)) ? body(env) : orelse(env));
    }
    default:
      return compileCompound(node, c, functions);
  }
}

type CompoundNode = Extract<
  Node,
  { t: 'call' | 'attr' | 'subscript' | 'slice' | 'list' | 'tuple' | 'set' | 'dict' | 'comp' }
>;

/** Calls, attribute and item access, slices, collections and comprehensions. */
function compileCompound(
  node: CompoundNode,
  c: (n: Node) => Compiled,
  functions: Readonly<Record<string, Fn>>,
): Compiled {
  switch (node.t) {
    case 'call': {
      if (node.func.t !== 'name') return () => fail('method calls are not allowed');
      const fn = functions[node.func.id];
      const name = node.func.id;
      if (fn === undefined) return () => fail(`function ${name} is not defined`);
      const args = node.args.map(c);
      const keywords = node.keywords.map(([k, v]) => [k, c(v)] as const);
      return (env) => {
        const kw: Record<string, unknown> = {};
        for (const [k, v] of keywords) kw[k] = v(env);
        return fn(
          args.map((a) => a(env)),
          kw,
          env,
        );
      };
    }
    case 'attr': {
      const value = c(node.value);
      const attr = node.attr;
      if (attr.startsWith('_')) return () => fail('private attributes are not allowed');
      return (env) => {
        const v = value(env);
        // simpleeval falls back to item access for dicts.
        if (isDict(v) && Object.hasOwn(v, attr)) return v[attr] ?? null;
        if (attr === 'days' && v instanceof UcrTimedelta) return v.days;
        if (v instanceof UcrDate && (attr === 'year' || attr === 'month' || attr === 'day')) return v[attr];
        return fail(`no attribute ${attr}`);
      };
    }
    case 'subscript': {
      const value = c(node.value);
      const index = c(node.index);
      return (env) => subscript(value(env), index(env));
    }
    case 'slice': {
      const value = c(node.value);
      const lower = node.lower === null ? null : c(node.lower);
      const upper = node.upper === null ? null : c(node.upper);
      const step = node.step === null ? null : c(node.step);
      return (env) => slice(value(env), lower?.(env) ?? null, upper?.(env) ?? null, step?.(env) ?? null);
    }
    case 'list':
    case 'tuple': {
      const elts = node.elts.map(c);
      return (env) => elts.map((e) => e(env));
    }
    case 'set': {
      const elts = node.elts.map(c);
      return (env) => dedupe(elts.map((e) => e(env)));
    }
    case 'dict': {
      const keys = node.keys.map(c);
      const values = node.values.map(c);
      return (env) => {
        const out: Record<string, unknown> = {};
        keys.forEach((k, i) => {
          const key = k(env);
          out[typeof key === 'string' ? key : pyStr(key)] = values[i]!(env);
        });
        return out;
      };
    }
    case 'comp': {
      const elt = c(node.elt);
      const generators = node.generators.map((g) => ({
        targets: g.targets,
        iter: c(g.iter),
        ifs: g.ifs.map(c),
      }));
      const kind = node.kind;
      return (env) => {
        const out: unknown[] = [];
        const run = (level: number, scope: Env) => {
          if (level === generators.length) {
            out.push(elt(scope));
            return;
          }
          const g = generators[level]!;
          for (const value of iterate(g.iter(scope))) {
            const locals = new Map(scope.locals ?? []);
            if (g.targets.length === 1) locals.set(g.targets[0]!, value);
            else {
              const parts = iterate(value);
              if (parts.length !== g.targets.length) fail('cannot unpack');
              g.targets.forEach((t, i) => locals.set(t, parts[i]));
            }
            const inner: Env = { names: scope.names, item: scope.item, ctx: scope.ctx, locals };
            if (g.ifs.every((f) => truthy(f(inner)))) run(level + 1, inner);
          }
        };
        run(0, env);
        return kind === 'set' ? dedupe(out) : out;
      };
    }
  }
}

/**
 * Compiles a statement with its variables. Never throws for the statement itself: a statement
 * Python cannot parse evaluates to null, as in CommCare (which parses at evaluation time).
 */
export function compileEvaluator(
  statement: string,
  variables: Record<string, Expr> | undefined,
  hooks: EvaluatorHooks,
): Expr {
  let program: Compiled;
  try {
    program = compileNode(parseStatement(statement), makeFunctions(hooks));
  } catch {
    return () => null;
  }
  const entries = variables === undefined ? undefined : Object.entries(variables);
  return (item, ctx) => {
    let names: Record<string, unknown>;
    if (entries === undefined) {
      if (!isDict(item)) return null;
      names = item;
    } else {
      names = {};
      for (const [k, e] of entries) names[k] = e(item, ctx);
    }
    for (const key in names) {
      if (!SAFE_KINDS.has(kindOf(names[key]))) return null;
    }
    try {
      const value = program({ names, item, ctx, locals: null });
      return value === undefined ? null : value;
    } catch {
      // EvalFailure, PyTypeError, PyZeroDivisionError, decimal.js errors: CommCare's None (or, for
      // the errors CommCare lets through, a failed document; evaluation here never throws).
      return null;
    }
  };
}
