/**
 * Lets a browser session authenticate `domain-user` routes (method `session`) in front of another
 * authenticator (HTTP Basic and API keys, unchanged): a request with a session cookie of a user of
 * the domain is that user; a state-changing request (anything but GET/HEAD) on a session must carry
 * the session's CSRF token in `X-CSRF-Token`, or it is refused with 403. A request without a session
 * cookie goes to the inner authenticator as before.
 */
import type { IncomingMessage } from 'node:http';
import type { Authenticator, AuthOutcome, AuthPurpose } from '../http/http-server.js';
import { readCookies, sameToken, sessionCookieName, type SessionStore } from './sessions.js';

export class SessionAuthenticator implements Authenticator {
  constructor(
    private readonly inner: Authenticator,
    private readonly sessions: SessionStore,
  ) {}

  domainExists(domain: string): Promise<boolean> {
    return this.inner.domainExists(domain);
  }

  async authenticate(
    req: IncomingMessage,
    domain: string,
    purpose: AuthPurpose = { action: 'use' },
  ): Promise<AuthOutcome> {
    if (!readCookies(req).has(sessionCookieName) || req.headers.authorization)
      return this.inner.authenticate(req, domain, purpose);
    const session = await this.sessions.of(req);
    if (!session) return { ok: false, status: 401, message: 'The session has expired; log in again.' };
    if (session.user.domain !== domain)
      return {
        ok: false,
        status: 403,
        message: `User ${session.user.username} may not ${purpose.action} domain ${domain}.`,
      };
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      const header = req.headers['x-csrf-token'];
      if (!sameToken(Array.isArray(header) ? header[0] : header, session.csrf))
        return { ok: false, status: 403, message: 'Missing or wrong CSRF token (X-CSRF-Token).' };
    }
    return { ok: true, user: session.user };
  }
}
