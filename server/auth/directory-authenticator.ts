/**
 * The server's Authenticator over the user directory: HTTP Basic or an API key of a user of the
 * domain (submission-auth.ts), with the 401 challenge devices and browsers expect, refusals worded
 * for the route, and failed attempts throttled per username and per address (auth-throttle.ts).
 */
import type { IncomingMessage } from 'node:http';
import { fullMobileUsername, type UserDirectory } from '../../connectors/couchdb/user-directory.js';
import type { Authenticator, AuthOutcome, AuthPurpose } from '../http/http-server.js';
import type { AuthThrottle } from './auth-throttle.js';
import { clientAddress } from './client-address.js';
import { credentialsOf, CredentialCache, verifyCredentials } from './submission-auth.js';

const challenge = { 'www-authenticate': 'Basic realm="tributary", charset="UTF-8"' };

export interface DirectoryAuthenticatorOptions {
  /** Without one, failed attempts are not limited. */
  throttle?: AuthThrottle;
  /** Take the client address from X-Forwarded-For (behind one trusted proxy). */
  trustForwardedFor?: boolean;
  credentials?: CredentialCache;
}

export class DirectoryAuthenticator implements Authenticator {
  private readonly credentials: CredentialCache;

  constructor(
    private readonly directory: UserDirectory,
    private readonly options: DirectoryAuthenticatorOptions = {},
  ) {
    this.credentials = options.credentials ?? new CredentialCache();
  }

  domainExists(domain: string): Promise<boolean> {
    return this.directory.domainExists(domain);
  }

  async authenticate(
    req: IncomingMessage,
    domain: string,
    purpose: AuthPurpose = { action: 'use' },
  ): Promise<AuthOutcome> {
    const credentials = credentialsOf(req.headers);
    if (!credentials)
      return {
        ok: false,
        status: 401,
        message: 'Authentication required: HTTP Basic or an API key.',
        headers: challenge,
      };
    const { throttle } = this.options;
    // Counted by the name as given (short or full), lowercased: unknown names count like known ones.
    const username = fullMobileUsername(credentials.username, domain).toLowerCase();
    const address = clientAddress(req, this.options.trustForwardedFor ?? false);
    const checked = throttle ? await throttle.check(username, address) : null;
    if (checked?.lock) {
      const { scope, retryAfterSeconds } = checked.lock;
      return {
        ok: false,
        status: 429,
        message: `Too many failed sign-in attempts ${scope === 'user' ? 'for this user' : 'from this address'}; try again in ${retryAfterSeconds} s.`,
        headers: { 'retry-after': String(retryAfterSeconds) },
      };
    }
    const outcome = await verifyCredentials(
      credentials,
      domain,
      this.directory,
      this.credentials,
      purpose.action,
    );
    if (!outcome.ok) {
      if (outcome.status === 401) await throttle?.recordFailure(username, address);
      return {
        ok: false,
        status: outcome.status,
        message: outcome.message,
        ...(outcome.status === 401 ? { headers: challenge } : {}),
      };
    }
    if (checked && checked.userFailures > 0) await throttle?.recordSuccess(username);
    const { user } = outcome;
    return {
      ok: true,
      user: { id: user.id, username: user.username, domain: user.domain, method: outcome.method },
    };
  }
}
