/**
 * Who is submitting: HTTP Basic with a mobile user's password, or an API key
 * (`Authorization: ApiKey <username>:<key>`, CommCare's header, or `X-API-Key` with `?username=`
 * style pairs in `<username>:<key>`). A user may submit only to its own domain.
 */
import { createHash } from 'node:crypto';
import { dummyPasswordHash, verifyPassword } from './password-hash.js';
import type { MobileUser, UserDirectory } from '../../connectors/couchdb/user-directory.js';

export type AuthOutcome =
  | { ok: true; user: MobileUser; method: 'basic' | 'apikey' }
  | { ok: false; status: 401 | 403; message: string };

/** What a request offers as proof: a password or an API key, for a username. */
export interface Credentials {
  kind: 'basic' | 'apikey';
  username: string;
  secret: string;
}

/**
 * scrypt costs tens of milliseconds of CPU by design; a device sends the same credentials with
 * every form, so a successful check is remembered for a while under a digest of the stored hash
 * and the password (never the password itself). A changed password changes the stored hash, so
 * the old entry stops matching.
 */
export class CredentialCache {
  private readonly verified = new Map<string, number>();
  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 50_000,
  ) {}

  async verify(password: string, storedHash: string): Promise<boolean> {
    const key = createHash('sha256').update(storedHash).update('\0').update(password).digest('base64');
    const now = Date.now();
    const until = this.verified.get(key);
    if (until !== undefined && until > now) return true;
    const ok = await verifyPassword(password, storedHash);
    if (ok) {
      if (this.verified.size >= this.maxEntries) this.verified.clear();
      this.verified.set(key, now + this.ttlMs);
    }
    return ok;
  }

  /** Spends the time of a real check and answers false: for a user who has no usable hash. */
  async verifyNothing(password: string): Promise<false> {
    await verifyPassword(password, await dummyPasswordHash());
    return false;
  }
}

export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The credentials of a request's headers, or null when it has none. */
export function credentialsOf(headers: {
  authorization?: string | undefined;
  'x-api-key'?: string | string[] | undefined;
}): Credentials | null {
  const authorization = headers.authorization;
  if (authorization) {
    const space = authorization.indexOf(' ');
    const scheme = authorization.slice(0, space).toLowerCase();
    const rest = authorization.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(rest, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0)
        return { kind: 'basic', username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    } else if (scheme === 'apikey') {
      const colon = rest.indexOf(':');
      if (colon > 0) return { kind: 'apikey', username: rest.slice(0, colon), secret: rest.slice(colon + 1) };
    }
  }
  const header = headers['x-api-key'];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey) {
    const colon = apiKey.indexOf(':');
    if (colon > 0)
      return { kind: 'apikey', username: apiKey.slice(0, colon), secret: apiKey.slice(colon + 1) };
  }
  return null;
}

/**
 * Checks the request's credentials against the domain's users. `action` words a refusal for what
 * was asked: "User u may not <action> domain d." (default: "use").
 */
export async function authenticate(
  headers: { authorization?: string | undefined; 'x-api-key'?: string | string[] | undefined },
  domain: string,
  directory: UserDirectory,
  cache: CredentialCache,
  action = 'use',
): Promise<AuthOutcome> {
  const credentials = credentialsOf(headers);
  if (!credentials)
    return { ok: false, status: 401, message: 'Authentication required: HTTP Basic or an API key.' };
  return verifyCredentials(credentials, domain, directory, cache, action);
}

/**
 * Checks credentials against the domain's users. An unknown user, a user without a password and
 * a deactivated user take as long to refuse as a wrong password (a dummy hash is checked), so the
 * time of a 401 does not reveal which usernames exist.
 */
export async function verifyCredentials(
  credentials: Credentials,
  domain: string,
  directory: UserDirectory,
  cache: CredentialCache,
  action = 'use',
): Promise<AuthOutcome> {
  const user = await directory.findUser(credentials.username, domain);
  const refused = { ok: false, status: 401, message: 'Unknown user or wrong password or API key.' } as const;
  let verified: boolean;
  if (credentials.kind === 'basic') {
    verified = user?.passwordHash
      ? await cache.verify(credentials.secret, user.passwordHash)
      : await cache.verifyNothing(credentials.secret);
  } else {
    const digest = apiKeyDigest(credentials.secret);
    verified = user?.apiKeyHashes.includes(digest) ?? false;
  }
  if (!user || !verified || !user.isActive) return refused;
  // Checked after the credentials, so that a wrong password never reveals which domain a user is in.
  if (user.domain !== domain) {
    return { ok: false, status: 403, message: `User ${user.username} may not ${action} domain ${domain}.` };
  }
  return { ok: true, user, method: credentials.kind };
}
