/** Query parameters as commcare/search reads them: each name with all its values, in order. */
export function paramsOf(search: URLSearchParams): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [name, value] of search) params.set(name, [...(params.get(name) ?? []), value]);
  return params;
}

/** True when the client asks for JSON rather than CommCare's XML. */
export function wantsJson(accept: string | undefined): boolean {
  return /\bapplication\/json\b/i.test(accept ?? '');
}
