/**
 * Python's `str()` and `repr()` of UCR values: what the `string` datatype and the evaluator's
 * `str()` produce (`True`, `5.0`, `[1, 'a']`, `{'a': 1}`, datetimes with a space).
 */
import type { UcrDate, UcrDateTime, UcrTime, UcrTimedelta } from './kinds.js';
import { kindOf, PyFloat, type Decimal } from './kinds.js';

/** Python's `repr(float)`: shortest round-trip digits, fixed notation for 1e-4 ≤ |x| < 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const whole = digits.padEnd(exp + 1, '0').slice(0, exp + 1);
      const frac = digits.slice(exp + 1);
      return `${sign}${whole}.${frac === '' ? '0' : frac}`;
    }
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${head}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/**
 * Python's `str(Decimal)`. decimal.js drops trailing zeros, so an integral value prints in fixed
 * notation (Python's `Decimal(100)` prints "100") and others follow Python's exponent rule.
 */
export function pyDecimalStr(d: Decimal): string {
  if (d.isNaN()) return 'NaN';
  if (!d.isFinite()) return d.isNegative() ? '-Infinity' : 'Infinity';
  if (d.isZero()) return d.isNegative() ? '-0' : '0';
  if (d.isInteger() && d.abs().lt('1e28')) return d.toFixed();
  const [mantissa, expText] = d.toExponential().split('e') as [string, string];
  const adjusted = Number(expText);
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = d.isNegative() ? '-' : '';
  const exponent = adjusted - (digits.length - 1);
  const leftDigits = exponent + digits.length;
  if (exponent <= 0 && leftDigits > -6) {
    if (leftDigits <= 0) return `${sign}0.${'0'.repeat(-leftDigits)}${digits}`;
    return `${sign}${digits.slice(0, leftDigits)}.${digits.slice(leftDigits)}`;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${head}E${adjusted < 0 ? '-' : '+'}${Math.abs(adjusted)}`;
}

function intStr(n: number): string {
  return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
}

/** Python's `repr(str)`: single quotes unless the text has one and no double quote. */
export function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function timedeltaStr(td: UcrTimedelta): string {
  const secs = Math.floor(td.usOfDay / 1e6);
  const us = td.usOfDay % 1e6;
  const clock = `${Math.floor(secs / 3600)}:${String(Math.floor(secs / 60) % 60).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}${us ? `.${String(us).padStart(6, '0')}` : ''}`;
  if (td.days === 0) return clock;
  return `${td.days} day${Math.abs(td.days) === 1 ? '' : 's'}, ${clock}`;
}

/** Python's `str(x)`. */
export function pyStr(value: unknown): string {
  switch (kindOf(value)) {
    case 'null':
      return 'None';
    case 'string':
      return value as string;
    case 'boolean':
      return value ? 'True' : 'False';
    case 'integer':
      return typeof value === 'bigint' ? value.toString() : intStr(value as number);
    case 'float':
      return pyFloatRepr(value instanceof PyFloat ? value.value : (value as number));
    case 'decimal':
      return pyDecimalStr(value as Decimal);
    case 'date':
      return (value as UcrDate).toIso();
    case 'datetime':
      return (value as UcrDateTime).format(' ');
    case 'time':
      return (value as UcrTime).format();
    case 'timedelta':
      return timedeltaStr(value as UcrTimedelta);
    default:
      return pyRepr(value);
  }
}

/** Python's `repr(x)` (what str() of a list or dict uses for its members). */
export function pyRepr(value: unknown): string {
  switch (kindOf(value)) {
    case 'string':
      return pyStringRepr(value as string);
    case 'decimal':
      return `Decimal('${pyDecimalStr(value as Decimal)}')`;
    case 'date': {
      const d = value as UcrDate;
      return `datetime.date(${d.year}, ${d.month}, ${d.day})`;
    }
    case 'datetime': {
      const dt = value as UcrDateTime;
      const d = dt.date();
      const [h, mi, s, us] = dt.clock();
      const tail = us ? `, ${s}, ${us}` : s ? `, ${s}` : '';
      return `datetime.datetime(${d.year}, ${d.month}, ${d.day}, ${h}, ${mi}${tail})`;
    }
    case 'time': {
      const t = value as UcrTime;
      const secs = Math.floor(t.usOfDay / 1e6);
      const us = t.usOfDay % 1e6;
      const s = secs % 60;
      const tail = us ? `, ${s}, ${us}` : s ? `, ${s}` : '';
      return `datetime.time(${Math.floor(secs / 3600)}, ${Math.floor(secs / 60) % 60}${tail})`;
    }
    case 'timedelta': {
      const td = value as UcrTimedelta;
      const secs = Math.floor(td.usOfDay / 1e6);
      const us = td.usOfDay % 1e6;
      const parts = [
        td.days ? `days=${td.days}` : '',
        secs ? `seconds=${secs}` : '',
        us ? `microseconds=${us}` : '',
      ];
      return `datetime.timedelta(${parts.filter(Boolean).join(', ')})`;
    }
    case 'list':
      return `[${(value as unknown[]).map(pyRepr).join(', ')}]`;
    case 'dict':
      return `{${Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`)
        .join(', ')}}`;
    default:
      return pyStr(value);
  }
}
