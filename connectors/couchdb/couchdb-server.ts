/** The CouchDB server as plain fetch sees it: a base URL without credentials and the headers that carry them. */
export function serverOf(url: string): { base: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (parsed.username || parsed.password) {
    const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return { base: parsed.toString().replace(/\/+$/, ''), headers };
}
