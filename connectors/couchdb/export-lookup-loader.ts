/**
 * Names for export transforms from CouchDB, in one request per page and kind: usernames of users
 * (CommCareUser in the users database, `username` without `@<domain>.commcarehq.org`), and names of
 * groups and locations (in the main database). A document of another domain is never named.
 */
import { RetryableError } from '../../runtime/contract/index.js';

export interface ExportLookupLoaderOptions {
  couchUrl: string;
  usersDatabase: string;
  mainDatabase: string;
}

type Doc = Record<string, unknown>;

export class ExportLookupLoader {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly options: ExportLookupLoaderOptions) {}

  private async docs(database: string, ids: readonly string[]): Promise<Map<string, Doc>> {
    const url = new URL(
      `${encodeURIComponent(database)}/_all_docs?include_docs=true`,
      this.options.couchUrl.replace(/\/?$/, '/'),
    );
    const auth = url.username
      ? {
          authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`,
        }
      : {};
    url.username = '';
    url.password = '';
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ keys: ids }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new RetryableError(`CouchDB (${url.host}) did not answer: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (response.status === 404) return new Map();
    if (!response.ok) throw new RetryableError(`CouchDB answered ${response.status} for ${database}.`);
    const body = (await response.json()) as { rows?: { key: string; doc?: Doc | null }[] };
    return new Map((body.rows ?? []).flatMap((row) => (row.doc ? [[row.key, row.doc] as const] : [])));
  }

  private static nameOf(doc: Doc | undefined, domain: string): string | null {
    if (!doc || (doc.domain !== undefined && doc.domain !== domain)) return null;
    if (typeof doc.username === 'string') return doc.username.replace(/@.*$/, '');
    return typeof doc.name === 'string' ? doc.name : null;
  }

  /** Names of users (`users`) and of users, groups or locations (`owners`), memoised per loader. */
  async names(
    domain: string,
    users: Iterable<string>,
    owners: Iterable<string>,
  ): Promise<{ usernames: Map<string, string>; ownerNames: Map<string, string> }> {
    const wanted = [...new Set([...users, ...owners])].filter((id) => !this.cache.has(`${domain}\0${id}`));
    if (wanted.length) {
      const fromUsers = await this.docs(this.options.usersDatabase, wanted);
      const rest = wanted.filter((id) => !fromUsers.has(id));
      const fromMain = rest.length
        ? await this.docs(this.options.mainDatabase, rest)
        : new Map<string, Doc>();
      if (this.cache.size > 100_000) this.cache.clear();
      for (const id of wanted)
        this.cache.set(
          `${domain}\0${id}`,
          ExportLookupLoader.nameOf(fromUsers.get(id) ?? fromMain.get(id), domain),
        );
    }
    const pick = (ids: Iterable<string>) =>
      new Map(
        [...ids].flatMap((id) => {
          const name = this.cache.get(`${domain}\0${id}`);
          return name ? [[id, name] as const] : [];
        }),
      );
    return { usernames: pick(users), ownerNames: pick(owners) };
  }
}
