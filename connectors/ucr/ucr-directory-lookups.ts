/**
 * UCR lookups that need more than one document of CouchDB (users, groups and locations as CommCare
 * keeps them): `ancestor_locations` (a location's ancestors, root first), `location_descendants`
 * (ids of every location below one), `case_sharing_groups` and `reporting_groups` (the groups a
 * mobile worker belongs to, `Group` documents with `case_sharing: true`, or with `reporting` not
 * false as CommCare's default). Best effort like the loader's other CouchDB lookups: an unreachable
 * CouchDB answers nothing (the keys read as unknown) with a warning.
 */
import type { Logger } from '../../runtime/contract/index.js';
import type { UcrLookupKey } from '../../commcare/ucr/contract.js';
import { lookupKeyId } from '../../commcare/ucr/ucr-catalog.js';

export interface DirectoryLookupSource {
  couchdbUrl?: string | undefined;
  /** CouchDB database per document kind: `user`, `group`, `location`. */
  couchDatabases: Record<string, string>;
  logger: Logger;
}

type Doc = Record<string, unknown>;

/** The lookup kinds this module answers. */
export const directoryLookupKinds = new Set([
  'ancestor_locations',
  'location_descendants',
  'case_sharing_groups',
  'reporting_groups',
]);

function couchUrl(base: string, path: string): { url: URL; headers: Record<string, string> } {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (url.username) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url, headers };
}

async function post(
  source: DirectoryLookupSource,
  database: string,
  path: string,
  body: unknown,
): Promise<Doc> {
  const { url, headers } = couchUrl(source.couchdbUrl!, `${encodeURIComponent(database)}/${path}`);
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`CouchDB answered ${response.status} for ${path}`);
  return (await response.json()) as Doc;
}

async function docsById(
  source: DirectoryLookupSource,
  database: string,
  ids: readonly string[],
): Promise<Map<string, Doc>> {
  const body = await post(source, database, '_all_docs?include_docs=true', { keys: ids });
  const rows = (body.rows ?? []) as { key: string; doc?: Doc | null }[];
  return new Map(rows.filter((row) => row.doc).map((row) => [row.key, row.doc!]));
}

async function find(source: DirectoryLookupSource, database: string, selector: Doc): Promise<Doc[]> {
  const body = await post(source, database, '_find', { selector, limit: 100_000 });
  return (body.docs ?? []) as Doc[];
}

const isLocation = (doc: Doc | undefined, domain: string): doc is Doc =>
  doc !== undefined && doc.doc_type === 'Location' && doc.domain === domain;

/** Each location's ancestors (not itself), root first: one CouchDB read per level of the hierarchy. */
async function ancestors(source: DirectoryLookupSource, domain: string, ids: readonly string[]) {
  const database = source.couchDatabases.location!;
  const known = new Map<string, Doc>();
  let wanted = [...new Set(ids)];
  for (let depth = 0; wanted.length > 0 && depth < 50; depth++) {
    const found = await docsById(source, database, wanted);
    for (const [id, doc] of found) if (isLocation(doc, domain)) known.set(id, doc);
    wanted = [...found.values()]
      .map((doc) => doc.parent_location_id)
      .filter(
        (parent): parent is string => typeof parent === 'string' && parent !== '' && !known.has(parent),
      );
  }
  return ids.map((id) => {
    const chain: Doc[] = [];
    let parent = known.get(id)?.parent_location_id;
    while (typeof parent === 'string' && known.has(parent) && chain.length < 50) {
      const doc = known.get(parent)!;
      chain.unshift(doc);
      parent = doc.parent_location_id;
    }
    return known.has(id) ? chain : [];
  });
}

async function descendants(source: DirectoryLookupSource, domain: string, ids: readonly string[]) {
  const all = await find(source, source.couchDatabases.location!, { doc_type: 'Location', domain });
  const children = new Map<string, string[]>();
  for (const doc of all) {
    const parent = doc.parent_location_id;
    if (typeof parent === 'string' && typeof doc._id === 'string')
      children.set(parent, [...(children.get(parent) ?? []), doc._id]);
  }
  return ids.map((id) => {
    const out: string[] = [];
    const queue = [...(children.get(id) ?? [])];
    while (queue.length > 0 && out.length < 100_000) {
      const next = queue.shift()!;
      if (out.includes(next)) continue;
      out.push(next);
      queue.push(...(children.get(next) ?? []));
    }
    return out;
  });
}

async function userGroups(
  source: DirectoryLookupSource,
  domain: string,
  ids: readonly string[],
  kind: string,
) {
  const users = await docsById(source, source.couchDatabases.user!, ids);
  const groups = await find(source, source.couchDatabases.group!, {
    doc_type: 'Group',
    domain,
    users: { $elemMatch: { $in: [...ids] } },
  });
  const wanted = (group: Doc) =>
    kind === 'case_sharing_groups' ? group.case_sharing === true : group.reporting !== false;
  return ids.map((id) => {
    const user = users.get(id);
    // CommCare answers [] for a user it cannot find in the domain.
    if (!user || user.domain !== domain) return [];
    return groups.filter((group) => wanted(group) && Array.isArray(group.users) && group.users.includes(id));
  });
}

/** Answers the keys of one directory kind into `out` (by lookup key id); nothing when CouchDB fails. */
export async function loadDirectoryLookups(
  source: DirectoryLookupSource,
  kind: string,
  keys: readonly UcrLookupKey[],
  out: Map<string, unknown>,
): Promise<void> {
  const needed =
    kind === 'case_sharing_groups' || kind === 'reporting_groups' ? ['user', 'group'] : ['location'];
  if (!source.couchdbUrl || needed.some((k) => !source.couchDatabases[k])) return;
  const byDomain = new Map<string, string[]>();
  for (const key of keys) byDomain.set(key.domain, [...(byDomain.get(key.domain) ?? []), key.id]);
  try {
    for (const [domain, ids] of byDomain) {
      const answers =
        kind === 'ancestor_locations'
          ? await ancestors(source, domain, ids)
          : kind === 'location_descendants'
            ? await descendants(source, domain, ids)
            : await userGroups(source, domain, ids, kind);
      ids.forEach((id, index) => out.set(lookupKeyId({ kind, domain, id }), answers[index]));
    }
  } catch (error) {
    source.logger.warn(
      { kind, count: keys.length, error: (error as Error).message },
      'Could not load UCR lookups from CouchDB; evaluating them as missing documents.',
    );
  }
}
