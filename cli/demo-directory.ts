/**
 * Seeds CouchDB with what the demo application needs, as CommCare stores it: the domain, its mobile
 * users (scrypt password hashes, an API key each), their groups and their locations. Idempotent:
 * documents that already exist are left as they are.
 */
import { hashPassword } from '../server/auth/password-hash.js';
import { apiKeyDigest } from '../server/auth/submission-auth.js';
import { demoVillages, demoXmlns, type DemoUser } from './demo-application.js';

export interface DirectorySeed {
  couchUrl: string;
  domain: string;
  users: DemoUser[];
  usersDatabase?: string;
  mainDatabase?: string;
  appsDatabase?: string;
}

/** The API key a demo user gets (`Authorization: ApiKey <username>:<key>`). */
export function demoApiKey(user: DemoUser): string {
  return `key-${user.id}`;
}

/** Creates what is missing; resolves to the number of documents written. */
export async function seedDirectory(seed: DirectorySeed): Promise<number> {
  const couch = new Couch(seed.couchUrl);
  const usersDb = seed.usersDatabase ?? 'commcarehq__users';
  const mainDb = seed.mainDatabase ?? 'commcarehq';
  const appsDb = seed.appsDatabase ?? 'commcarehq__apps';
  await couch.ensureDatabase(usersDb);
  await couch.ensureDatabase(mainDb);
  await couch.ensureDatabase(appsDb);
  let written = 0;
  const put = async (db: string, doc: { _id: string } & Record<string, unknown>) => {
    if (await couch.putIfMissing(db, doc)) written++;
  };
  await put(mainDb, { _id: `domain-${seed.domain}`, doc_type: 'Domain', name: seed.domain, is_active: true });
  await put(appsDb, {
    _id: `${seed.domain}-app`,
    doc_type: 'Application',
    domain: seed.domain,
    name: 'Household health',
    version: 12,
    is_released: true,
    modules: [
      {
        name: 'Households',
        case_type: 'household',
        forms: [{ xmlns: demoXmlns.registration, name: 'Household registration' }],
      },
      {
        name: 'Members',
        case_type: 'member',
        forms: [
          { xmlns: demoXmlns.followup, name: 'Follow-up visit' },
          { xmlns: demoXmlns.close, name: 'Close member' },
        ],
      },
    ],
  });
  for (const [i, village] of demoVillages.entries()) {
    await put(mainDb, {
      _id: `${seed.domain}-loc-${i + 1}`,
      doc_type: 'Location',
      domain: seed.domain,
      name: village,
      site_code: village.toLowerCase().replace(/\W+/g, '_'),
      location_type: 'village',
      parent_location_id: `${seed.domain}-district-${(i % 2) + 1}`,
    });
  }
  for (const district of [1, 2]) {
    await put(mainDb, {
      _id: `${seed.domain}-district-${district}`,
      doc_type: 'Location',
      domain: seed.domain,
      name: `District ${district}`,
      site_code: `district_${district}`,
      location_type: 'district',
      parent_location_id: null,
    });
  }
  const groups = new Map<string, string[]>();
  for (const user of seed.users) groups.set(user.groupId, [...(groups.get(user.groupId) ?? []), user.id]);
  for (const [groupId, members] of groups) {
    await put(mainDb, {
      _id: groupId,
      doc_type: 'Group',
      domain: seed.domain,
      name: groupId,
      users: members,
      case_sharing: true,
    });
  }
  for (const user of seed.users) {
    if (await couch.exists(usersDb, user.id)) continue;
    await put(usersDb, {
      _id: user.id,
      doc_type: 'CommCareUser',
      domain: seed.domain,
      username: `${user.username}@${seed.domain}.commcarehq.org`,
      password: await hashPassword(user.password),
      api_keys: [apiKeyDigest(demoApiKey(user))],
      is_active: true,
      location_id: user.locationId,
      first_name: user.username,
    });
  }
  return written;
}

class Couch {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(url: string) {
    const parsed = new URL(url);
    this.headers = { 'content-type': 'application/json' };
    if (parsed.username) {
      this.headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    this.base = parsed.toString().replace(/\/?$/, '/');
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method,
      headers: this.headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
  }

  async ensureDatabase(db: string): Promise<void> {
    const response = await this.request('PUT', encodeURIComponent(db));
    if (!response.ok && response.status !== 412)
      throw new Error(`CouchDB refused to create ${db}: ${response.status} ${await response.text()}`);
  }

  async exists(db: string, id: string): Promise<boolean> {
    const response = await this.request('HEAD', `${encodeURIComponent(db)}/${encodeURIComponent(id)}`);
    return response.ok;
  }

  /** True when it wrote the document, false when one with that id was already there. */
  async putIfMissing(db: string, doc: { _id: string }): Promise<boolean> {
    const response = await this.request(
      'PUT',
      `${encodeURIComponent(db)}/${encodeURIComponent(doc._id)}`,
      doc,
    );
    if (response.status === 409) return false;
    if (!response.ok)
      throw new Error(`CouchDB refused ${doc._id} in ${db}: ${response.status} ${await response.text()}`);
    return true;
  }
}
