/** CommCare's `localize` (`userreports/util.py`): user-supplied `{lang: text}` translations. */

/** Text given as a string or as a translation dictionary `{lang: text}`. */
export type LocalizedText = string | Readonly<Record<string, unknown>>;

/**
 * The text for `lang`: a string as it is; from a dictionary the entry for `lang`, else `en`, else
 * the entry of the alphabetically first key (an empty entry counts as missing, as Python's `or`).
 */
export function localize(value: unknown, lang: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entries = value as Record<string, unknown>;
  const keys = Object.keys(entries);
  if (keys.length === 0) return value;
  const present = (key: string) => {
    const text = entries[key];
    return text !== undefined && text !== null && text !== '' && text !== 0 && text !== false;
  };
  if (present(lang)) return entries[lang];
  if (present('en')) return entries.en;
  return entries[[...keys].sort()[0]!];
}

/** `localize` as text for headers: the chosen entry, or `fallback` when there is none. */
export function localizeText(value: unknown, lang: string, fallback: string): string {
  const text = localize(value, lang);
  if (typeof text === 'string') return text;
  return typeof text === 'number' || typeof text === 'boolean' ? String(text) : fallback;
}
