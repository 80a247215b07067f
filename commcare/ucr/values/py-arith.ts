/**
 * Python arithmetic over UCR values, for `reduce_items` sums and the evaluator: int/float/Decimal
 * promotion (Decimal with float is a TypeError), str and list concatenation, date ± timedelta,
 * date − date, true and floor division, modulo with the divisor's sign. Throws `PyTypeError` or
 * `PyZeroDivisionError` where Python raises, for the caller to turn into null.
 */
import {
  Decimal,
  isDecimal,
  kindOf,
  makeFloat,
  PyFloat,
  UcrDate,
  UcrDateTime,
  UcrTimedelta,
  type UcrKind,
} from './kinds.js';
import { ScaledDecimal, scaledAdd, scaledDivide, scaledMultiply, scaledOperand } from './scaled-decimal.js';

export class PyTypeError extends Error {
  override readonly name = 'PyTypeError';
}
export class PyZeroDivisionError extends Error {
  override readonly name = 'PyZeroDivisionError';
}

type NumKind = 'int' | 'float' | 'decimal';

function numKind(k: UcrKind): NumKind | null {
  if (k === 'integer' || k === 'boolean') return 'int';
  if (k === 'float') return 'float';
  if (k === 'decimal') return 'decimal';
  return null;
}

function jsNum(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof PyFloat) return v.value;
  return v as number;
}

function dec(v: unknown): Decimal {
  return isDecimal(v) ? v : new Decimal(jsNum(v));
}

/** Both operands numeric: the common kind, or a TypeError for Decimal with float. */
function promote(a: unknown, b: unknown): NumKind | null {
  const ka = numKind(kindOf(a));
  const kb = numKind(kindOf(b));
  if (ka === null || kb === null) return null;
  if (ka === kb) return ka;
  if ((ka === 'decimal' && kb === 'float') || (ka === 'float' && kb === 'decimal')) {
    throw new PyTypeError('unsupported operand type(s) for Decimal and float');
  }
  return ka === 'int' ? kb : ka;
}

function intResult(x: number): number | PyFloat {
  // An int result beyond 2^53 has lost precision anyway; keep it a number.
  return x + 0;
}

const US_PER_DAY = 86_400_000_000;

function tdMicros(td: UcrTimedelta): number {
  return td.days * US_PER_DAY + td.usOfDay;
}

function fromMicros(us: number): UcrTimedelta {
  const days = Math.floor(us / US_PER_DAY);
  return new UcrTimedelta(days, us - days * US_PER_DAY);
}

/**
 * Both operands as scaled decimals when one is a Decimal with a scaled form and the other is one
 * too or an int (Python promotes an int to Decimal); undefined otherwise.
 */
function scaledPair(a: unknown, b: unknown): [ScaledDecimal, ScaledDecimal] | undefined {
  if (!(a instanceof ScaledDecimal) && !(b instanceof ScaledDecimal)) return undefined;
  const x = scaledOperand(a);
  const y = x === undefined ? undefined : scaledOperand(b);
  return y === undefined ? undefined : [x!, y];
}

export function pyAdd(a: unknown, b: unknown): unknown {
  const pair = scaledPair(a, b);
  const fast = pair && scaledAdd(pair[0], pair[1]);
  if (fast !== undefined) return fast.asDecimal();
  const k = promote(a, b);
  if (k === 'int') return intResult(jsNum(a) + jsNum(b));
  if (k === 'float') return makeFloat(jsNum(a) + jsNum(b));
  if (k === 'decimal') return dec(a).plus(dec(b));
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...(a as unknown[]), ...(b as unknown[])];
  if (a instanceof UcrTimedelta && b instanceof UcrTimedelta) return fromMicros(tdMicros(a) + tdMicros(b));
  if (b instanceof UcrTimedelta && (a instanceof UcrDate || a instanceof UcrDateTime))
    return shift(a, tdMicros(b));
  if (a instanceof UcrTimedelta && (b instanceof UcrDate || b instanceof UcrDateTime))
    return shift(b, tdMicros(a));
  throw new PyTypeError(`unsupported operand type(s) for +: ${kindOf(a)} and ${kindOf(b)}`);
}

function shift(d: UcrDate | UcrDateTime, us: number): UcrDate | UcrDateTime {
  if (d instanceof UcrDate) return new UcrDate(d.days + Math.trunc(us / US_PER_DAY));
  const total = d.usOfDay + us;
  const days = Math.floor(total / US_PER_DAY);
  return new UcrDateTime(d.days + days, total - days * US_PER_DAY);
}

export function pySub(a: unknown, b: unknown): unknown {
  const pair = scaledPair(a, b);
  const fast = pair && scaledAdd(pair[0], pair[1], true);
  if (fast !== undefined) return fast.asDecimal();
  const k = promote(a, b);
  if (k === 'int') return intResult(jsNum(a) - jsNum(b));
  if (k === 'float') return makeFloat(jsNum(a) - jsNum(b));
  if (k === 'decimal') return dec(a).minus(dec(b));
  if (a instanceof UcrDate && b instanceof UcrDate) return new UcrTimedelta(a.days - b.days, 0);
  if (a instanceof UcrDateTime && b instanceof UcrDateTime) {
    return fromMicros((a.days - b.days) * US_PER_DAY + (a.usOfDay - b.usOfDay));
  }
  if (a instanceof UcrTimedelta && b instanceof UcrTimedelta) return fromMicros(tdMicros(a) - tdMicros(b));
  if (b instanceof UcrTimedelta && (a instanceof UcrDate || a instanceof UcrDateTime))
    return shift(a, -tdMicros(b));
  throw new PyTypeError(`unsupported operand type(s) for -: ${kindOf(a)} and ${kindOf(b)}`);
}

function repeat(seq: unknown, times: unknown): unknown {
  const n = Math.max(0, jsNum(times));
  if (typeof seq === 'string') return seq.repeat(n);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...(seq as unknown[]));
  return out;
}

export function pyMul(a: unknown, b: unknown): unknown {
  const pair = scaledPair(a, b);
  const fast = pair && scaledMultiply(pair[0], pair[1]);
  if (fast !== undefined) return fast.asDecimal();
  const k = promote(a, b);
  if (k === 'int') return intResult(jsNum(a) * jsNum(b));
  if (k === 'float') return makeFloat(jsNum(a) * jsNum(b));
  if (k === 'decimal') return dec(a).times(dec(b));
  const ka = kindOf(a);
  const kb = kindOf(b);
  const intLike = (x: UcrKind) => x === 'integer' || x === 'boolean';
  if ((ka === 'string' || ka === 'list') && intLike(kb)) return repeat(a, b);
  if ((kb === 'string' || kb === 'list') && intLike(ka)) return repeat(b, a);
  throw new PyTypeError(`unsupported operand type(s) for *: ${ka} and ${kb}`);
}

export function pyTrueDiv(a: unknown, b: unknown): unknown {
  const pair = scaledPair(a, b);
  const fast = pair && scaledDivide(pair[0], pair[1]);
  if (fast !== undefined) return fast.asDecimal();
  const k = promote(a, b);
  if (k === null) throw new PyTypeError(`unsupported operand type(s) for /: ${kindOf(a)} and ${kindOf(b)}`);
  if (k === 'decimal') {
    const d = dec(b);
    if (d.isZero()) throw new PyZeroDivisionError('division by zero');
    return dec(a).div(d);
  }
  if (jsNum(b) === 0) throw new PyZeroDivisionError('division by zero');
  return makeFloat(jsNum(a) / jsNum(b));
}

export function pyFloorDiv(a: unknown, b: unknown): unknown {
  const k = promote(a, b);
  if (k === null) throw new PyTypeError(`unsupported operand type(s) for //: ${kindOf(a)} and ${kindOf(b)}`);
  if (k === 'decimal') {
    const d = dec(b);
    if (d.isZero()) throw new PyZeroDivisionError('division by zero');
    // Decimal's // truncates toward zero (unlike int's floor).
    return dec(a).div(d).trunc();
  }
  if (jsNum(b) === 0) throw new PyZeroDivisionError('division by zero');
  const q = Math.floor(jsNum(a) / jsNum(b));
  return k === 'int' ? intResult(q) : makeFloat(q);
}

export function pyMod(a: unknown, b: unknown): unknown {
  const k = promote(a, b);
  if (k === null) throw new PyTypeError(`unsupported operand type(s) for %: ${kindOf(a)} and ${kindOf(b)}`);
  if (k === 'decimal') {
    const d = dec(b);
    if (d.isZero()) throw new PyZeroDivisionError('division by zero');
    // Decimal's % keeps the dividend's sign.
    const x = dec(a);
    return x.minus(x.div(d).trunc().times(d));
  }
  const x = jsNum(a);
  const y = jsNum(b);
  if (y === 0) throw new PyZeroDivisionError('modulo by zero');
  const r = x - Math.floor(x / y) * y;
  return k === 'int' ? intResult(r) : makeFloat(r);
}

export function pyNeg(a: unknown): unknown {
  const k = numKind(kindOf(a));
  if (k === 'int') return intResult(-jsNum(a));
  if (k === 'float') return makeFloat(-jsNum(a));
  if (k === 'decimal') return (a as Decimal).neg();
  if (a instanceof UcrTimedelta) return fromMicros(-tdMicros(a));
  throw new PyTypeError(`bad operand type for unary -: ${kindOf(a)}`);
}

export function pyPos(a: unknown): unknown {
  const k = numKind(kindOf(a));
  if (k === 'int') return intResult(jsNum(a));
  if (k !== null || a instanceof UcrTimedelta) return a;
  throw new PyTypeError(`bad operand type for unary +: ${kindOf(a)}`);
}

/** Integer-only binary operators (shifts, bitwise): both operands int or bool. */
export function pyIntOp(a: unknown, b: unknown, op: (x: bigint, y: bigint) => bigint): unknown {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if ((ka !== 'integer' && ka !== 'boolean') || (kb !== 'integer' && kb !== 'boolean')) {
    throw new PyTypeError(`unsupported operand types: ${ka} and ${kb}`);
  }
  return Number(op(BigInt(jsNum(a)), BigInt(jsNum(b))));
}
