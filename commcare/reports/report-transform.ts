/**
 * Report column transforms (`transforms/`), the ones that need nothing outside the value:
 * `translation`, `number_format` with `{0:.Nf}`-style formats, `date_format`, and the custom
 * `month_display` and `short_decimal_display`. Others (user and owner display, Ethiopian dates) need
 * lookups and are refused when the configuration is read.
 */
import { isObject } from '../../runtime/contract/index.js';
import { jsonPath, type ReportConfigIssue } from './report-config-error.js';
import { valueText } from './value-text.js';
import {
  monthNames,
  parseDateParts,
  strftime,
  strftimeDirectives,
  unsupportedStrftimeDirective,
} from './strftime.js';

export type ValueTransform = (value: unknown, lang: string) => unknown;

/** Picks the text for a language: that language, then English, then any (CommCare's `localize`). */
export function localize(
  text: string | Readonly<Record<string, string>> | undefined,
  lang: string,
): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  return text[lang] ?? text.en ?? Object.values(text)[0];
}

/** Compiles a transform; problems go to `issues` and the result is then the identity. */
export function compileReportTransform(
  spec: unknown,
  path: PropertyKey[],
  issues: ReportConfigIssue[],
): ValueTransform {
  const identity: ValueTransform = (value) => value;
  if (!isObject(spec)) {
    issues.push({ path: jsonPath(path), message: 'expected a transform object' });
    return identity;
  }
  switch (spec.type) {
    case 'translation': {
      const translations = spec.translations;
      if (!isObject(translations)) {
        issues.push({
          path: jsonPath([...path, 'translations']),
          message: 'expected an object of value -> text or {lang: text}',
        });
        return identity;
      }
      return (value, lang) => {
        const entry = value === null || value === undefined ? undefined : translations[valueText(value)];
        if (typeof entry === 'string') return entry;
        if (isObject(entry)) return localize(entry as Record<string, string>, lang) ?? value;
        return value;
      };
    }
    case 'number_format': {
      const format = spec.format_string;
      const match = typeof format === 'string' ? /^\{0?:(,?)\.(\d{1,2})f\}$/.exec(format) : null;
      if (!match) {
        issues.push({
          path: jsonPath([...path, 'format_string']),
          message: 'expected a fixed-point format such as "{0:.0f}", "{0:.2f}" or "{0:,.1f}"',
        });
        return identity;
      }
      const grouping = match[1] === ',';
      const digits = Number(match[2]);
      // CommCare returns the input unchanged when it is not a number.
      return (value) => {
        const number =
          typeof value === 'number'
            ? value
            : typeof value === 'string' && value.trim() !== ''
              ? Number(value)
              : Number.NaN;
        if (!Number.isFinite(number)) return value;
        return grouping
          ? number.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
          : number.toFixed(digits);
      };
    }
    case 'date_format': {
      const format = spec.format;
      if (typeof format !== 'string') {
        issues.push({ path: jsonPath([...path, 'format']), message: 'expected a strftime format string' });
        return identity;
      }
      const bad = unsupportedStrftimeDirective(format);
      if (bad) {
        issues.push({
          path: jsonPath([...path, 'format']),
          message: `unsupported directive ${bad}; expected ${strftimeDirectives.join(' ')}`,
        });
        return identity;
      }
      return (value) => {
        const parts = parseDateParts(value);
        return parts ? strftime(parts, format) : value;
      };
    }
    case 'custom':
      if (spec.custom_type === 'month_display') {
        return (value) => {
          const month = Number(value);
          return Number.isInteger(month) && month >= 1 && month <= 12 ? monthNames[month - 1] : value;
        };
      }
      if (spec.custom_type === 'short_decimal_display') {
        return (value) => (typeof value === 'number' ? Math.round(value * 100) / 100 : value);
      }
      issues.push({
        path: jsonPath([...path, 'custom_type']),
        message: `custom transform ${JSON.stringify(spec.custom_type)} is not supported (it needs user, owner or calendar lookups); expected month_display or short_decimal_display`,
      });
      return identity;
    default:
      issues.push({
        path: jsonPath([...path, 'type']),
        message: `transform type ${JSON.stringify(spec.type)} is not supported; expected translation, number_format, date_format or custom`,
      });
      return identity;
  }
}
