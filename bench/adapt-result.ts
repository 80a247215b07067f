import { isObject } from '../runtime/contract/index.js';
import type { Figure, Ratio, ScenarioResult } from './scenario-result.js';
import { round3, spread } from './spread.js';

const isSpread = (
  value: unknown,
): value is Record<string, unknown> & { min: number; median: number; max: number } =>
  isObject(value) && ['min', 'median', 'max'].every((k) => typeof value[k] === 'number');

/** The unit a figure's name implies (`recordsPerSecond` → `records/s`, `p95Ms` → `ms`). */
export function unitOf(path: string): string {
  const last = path.split('.').at(-1) ?? path;
  const perSecond = /^(\w*?)PerSecond$/.exec(last);
  if (perSecond) return `${perSecond[1] || 'ops'}/s`;
  if (/ms$/i.test(last)) return 'ms';
  if (/seconds$/i.test(last)) return 's';
  if (/MiB$/.test(last)) return 'MiB';
  if (/bytes$/i.test(last)) return 'bytes';
  return '';
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const isRatioPath = (path: string) => /ratio/i.test(path);

/** Keys holding settings or diagnostics, not measured figures. */
const settingsKeys = new Set(['setup', 'measurement', 'delivery', 'profiles', 'config', 'options', 'sizes']);

/**
 * Any scenario output in the common shape. Output already in it (has `figures` and `ratios`) is
 * kept; otherwise the object is walked: every `{min, median, max}` becomes a figure (or a ratio
 * when its path says `ratio`), and every finite number under a key ending in `PerSecond`, `Ms`,
 * or under a `ratios` object, becomes a one-repeat figure or ratio. Paths are dot-joined keys, with
 * array items named by their `name`/`document`/`id` field when they have one, else their index.
 * Never throws: a shape it cannot read gives empty figures, with the output kept in `details`.
 */
export function adaptResult(scenario: string, output: unknown, seconds: number): ScenarioResult {
  if (isObject(output) && isObject(output.figures) && isObject(output.ratios))
    return {
      peakRssMiB: {},
      ...(output as Partial<ScenarioResult>),
      // The registered name, whatever the module calls itself; seconds readable.
      scenario,
      seconds: round3(typeof output.seconds === 'number' ? output.seconds : seconds),
    } as ScenarioResult;
  const figures: Record<string, Figure> = {};
  const ratios: Record<string, Ratio> = {};
  const walk = (value: unknown, path: string, underRatios: boolean) => {
    if (isSpread(value)) {
      const runs = Array.isArray(value.runs) ? (value.runs as number[]) : [value.median];
      const base = { min: value.min, median: value.median, max: value.max, runs };
      if (isRatioPath(path)) ratios[path] = { ...base, of: text(value.of) ?? path, to: text(value.to) ?? '' };
      else figures[path] = { ...base, unit: typeof value.unit === 'string' ? value.unit : unitOf(path) };
      return;
    }
    if (typeof value === 'number' && Number.isFinite(value)) {
      const one = spread([value]);
      if (underRatios || isRatioPath(path)) ratios[path] = { ...one, of: path, to: '' };
      else if (unitOf(path).endsWith('/s') || unitOf(path) === 'ms')
        figures[path] = { ...one, unit: unitOf(path) };
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const label = shortLabel(
          (isObject(item) && (text(item.name) ?? text(item.id) ?? text(item.document))) || String(i),
        );
        walk(item, path ? `${path}.${label}` : label, underRatios);
      });
      return;
    }
    if (isObject(value))
      for (const [key, item] of Object.entries(value))
        if (!settingsKeys.has(key))
          walk(item, path ? `${path}.${key}` : key, underRatios || key === 'ratios');
  };
  walk(output, '', false);
  return { scenario, figures, ratios, peakRssMiB: {}, seconds: round3(seconds), details: output };
}

/** `Form: follow-up visit, 61 answers…` → `form`: a label short enough for a figure name. */
function shortLabel(label: string): string {
  const word = /^[A-Za-z][\w-]*/.exec(label)?.[0];
  return (word ?? label).toLowerCase();
}
