/**
 * Python's `str.format` with one positional argument, as CommCare's `number_format` transform calls
 * it (`format_string.format(value)`): replacement fields `{}`/`{0}` with a format spec
 * (`[[fill]align][sign][#][0][width][,|_][.precision][type]`), for ints, floats and Decimals.
 * Throws `PythonFormatError` where Python raises, so the caller can return the value unchanged.
 */
import { Decimal, kindOf, PyFloat } from '../values/kinds.js';
import { floatToDecimal } from '../values/py-compare.js';
import { pyStr } from '../values/py-str.js';

export class PythonFormatError extends Error {}

interface Spec {
  fill: string;
  align: string | undefined;
  sign: string;
  alternate: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number | undefined;
  type: string;
}

const specPattern = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

function parseSpec(text: string): Spec {
  const m = specPattern.exec(text);
  if (!m) throw new PythonFormatError(`Invalid format specifier '${text}'`);
  return {
    fill: m[1] ?? (m[5] && !m[2] ? '0' : ' '),
    align: m[2] ?? (m[5] ? '=' : undefined),
    sign: m[3] ?? '-',
    alternate: m[4] !== undefined,
    zero: m[5] !== undefined,
    width: m[6] ? Number(m[6]) : 0,
    grouping: m[7] ?? '',
    precision: m[8] === undefined ? undefined : Number(m[8]),
    type: m[9] ?? '',
  };
}

function group(digits: string, separator: string): string {
  if (!separator) return digits;
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

/** A Decimal of the number (exact for floats), or null for what is not a number. */
function asDecimal(value: unknown): Decimal | null {
  switch (kindOf(value)) {
    case 'boolean':
      return new Decimal(value ? 1 : 0);
    case 'integer':
      return new Decimal(String(value));
    case 'float':
      return floatToDecimal(value instanceof PyFloat ? value.value : (value as number));
    case 'decimal':
      return value as Decimal;
    default:
      return null;
  }
}

function fixed(d: Decimal, places: number): string {
  return d.toFixed(places, Decimal.ROUND_HALF_EVEN);
}

function exponent(d: Decimal, places: number, upper: boolean): string {
  const text = d.toExponential(places, Decimal.ROUND_HALF_EVEN);
  const [mantissa, exp] = text.split('e') as [string, string];
  const sign = exp.startsWith('-') ? '-' : '+';
  const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
  return `${mantissa}${upper ? 'E' : 'e'}${sign}${digits}`;
}

function general(d: Decimal, precision: number, alternate: boolean, upper: boolean): string {
  const p = precision === 0 ? 1 : precision;
  if (d.isZero()) return alternate ? `0.${'0'.repeat(p - 1)}` : '0';
  const rounded = new Decimal(d.toPrecision(p, Decimal.ROUND_HALF_EVEN));
  const exp = rounded.abs().e;
  let text = exp >= -4 && exp < p ? fixed(rounded, p - 1 - exp) : exponent(rounded, p - 1, upper);
  if (!alternate) text = text.replace(/\.?0+(?=$|e|E)/, '');
  return text;
}

/** The digits of `value` for a spec's type, without sign. */
function body(value: unknown, spec: Spec): { negative: boolean; text: string } {
  const kind = kindOf(value);
  const integral = kind === 'integer' || kind === 'boolean';
  if (spec.type === 's' || (spec.type === '' && kind === 'string')) {
    if (kind !== 'string') throw new PythonFormatError('format spec s needs a string');
    const text =
      spec.precision === undefined ? (value as string) : (value as string).slice(0, spec.precision);
    return { negative: false, text };
  }
  const d = asDecimal(value);
  if (d === null) throw new PythonFormatError(`unsupported format for ${kind}`);
  const negative = d.isNegative() && !d.isZero();
  const abs = d.abs();
  if (!abs.isFinite()) return { negative, text: abs.isNaN() ? 'nan' : 'inf' };
  switch (spec.type) {
    case 'd':
    case 'n':
      if (!integral) throw new PythonFormatError("Unknown format code 'd' for a non-integer");
      return { negative, text: group(abs.toFixed(0), spec.grouping) };
    case '': {
      if (integral) return { negative, text: group(abs.toFixed(0), spec.grouping) };
      if (spec.precision === undefined) {
        const text = kind === 'decimal' ? pyStr(abs) : pyStr(value).replace(/^-/, '');
        return { negative, text };
      }
      return { negative, text: general(abs, spec.precision, true, false).replace(/\.?0+$/, '') };
    }
    case 'f':
    case 'F': {
      const text = fixed(abs, spec.precision ?? 6);
      const [whole, frac] = text.split('.') as [string, string | undefined];
      const dot = frac === undefined ? (spec.alternate ? '.' : '') : `.${frac}`;
      return { negative, text: `${group(whole, spec.grouping)}${dot}` };
    }
    case '%': {
      const text = fixed(abs.times(100), spec.precision ?? 6);
      const [whole, frac] = text.split('.') as [string, string | undefined];
      return { negative, text: `${group(whole, spec.grouping)}${frac === undefined ? '' : `.${frac}`}%` };
    }
    case 'e':
    case 'E':
      return { negative, text: exponent(abs, spec.precision ?? 6, spec.type === 'E') };
    case 'g':
    case 'G':
      return { negative, text: general(abs, spec.precision ?? 6, spec.alternate, spec.type === 'G') };
    default:
      throw new PythonFormatError(`format code ${spec.type} is not supported`);
  }
}

/** `format(value, spec)`. */
export function formatValue(value: unknown, specText: string): string {
  if (specText === '' && kindOf(value) !== 'decimal') return pyStr(value);
  const spec = parseSpec(specText);
  const { negative, text } = body(value, spec);
  const sign = negative ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
  const length = sign.length + text.length;
  if (length >= spec.width) return sign + text;
  const padding = spec.fill.repeat(spec.width - length);
  const align = spec.align ?? (kindOf(value) === 'string' ? '<' : '>');
  switch (align) {
    case '<':
      return sign + text + padding;
    case '^': {
      const half = Math.floor(padding.length / 2);
      return padding.slice(0, half) + sign + text + padding.slice(half);
    }
    case '=':
      return sign + padding + text;
    default:
      return padding + sign + text;
  }
}

/** `template.format(value)` for templates whose fields are `{}` or `{0}` (with an optional spec). */
export function pythonFormat(template: string, value: unknown): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === '{' && template[i + 1] === '{') {
      out += '{';
      i += 2;
    } else if (c === '}' && template[i + 1] === '}') {
      out += '}';
      i += 2;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) throw new PythonFormatError("Single '{' encountered in format string");
      const field = template.slice(i + 1, end);
      const colon = field.indexOf(':');
      const name = colon < 0 ? field : field.slice(0, colon);
      if (name !== '' && name !== '0') throw new PythonFormatError(`field ${name} is not the one argument`);
      out += formatValue(value, colon < 0 ? '' : field.slice(colon + 1));
      i = end + 1;
    } else if (c === '}') {
      throw new PythonFormatError("Single '}' encountered in format string");
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
