/**
 * The server's Authenticator over the user directory: HTTP Basic or an API key of a user of the
 * domain (submission-auth.ts), with the 401 challenge devices and browsers expect.
 */
import type { IncomingMessage } from 'node:http';
import type { UserDirectory } from '../../connectors/couchdb/user-directory.js';
import type { Authenticator, AuthOutcome } from '../http/http-server.js';
import { authenticate, CredentialCache } from './submission-auth.js';

const challenge = { 'www-authenticate': 'Basic realm="tributary", charset="UTF-8"' };

export class DirectoryAuthenticator implements Authenticator {
  constructor(
    private readonly directory: UserDirectory,
    private readonly credentials = new CredentialCache(),
  ) {}

  domainExists(domain: string): Promise<boolean> {
    return this.directory.domainExists(domain);
  }

  async authenticate(req: IncomingMessage, domain: string): Promise<AuthOutcome> {
    const outcome = await authenticate(req.headers, domain, this.directory, this.credentials);
    if (!outcome.ok)
      return {
        ok: false,
        status: outcome.status,
        message: outcome.message,
        ...(outcome.status === 401 ? { headers: challenge } : {}),
      };
    const { user } = outcome;
    return {
      ok: true,
      user: { id: user.id, username: user.username, domain: user.domain, method: outcome.method },
    };
  }
}
