/**
 * Who a form says filled it (`meta/userID`) must be who submitted it, so a user cannot put words in
 * another user's mouth: case ownership, reports by user and audits all read `user_id`. A domain may
 * name users who submit on behalf of others (`proxy_submitters` on its Domain document: user ids
 * or usernames, short or full, `*` for everyone), as CommCare's web apps do when a supervisor logs in as a mobile
 * worker. Either way the form records the authenticated user too (`auth_user_id`, …).
 */
import { fullMobileUsername, type UserDirectory } from '../../connectors/couchdb/user-directory.js';
import { HttpError } from '../http/http-error.js';
import type { AuthenticatedUser } from '../http/route.js';

/** Throws a 403 when the form names another user and the domain does not let this one submit for others. */
export async function checkAuthorship(
  claimedUserId: string | null,
  user: AuthenticatedUser,
  directory: UserDirectory,
): Promise<void> {
  if (claimedUserId === null || claimedUserId === user.id) return;
  const proxies = (await directory.proxySubmitters?.(user.domain)) ?? [];
  const listed = (proxy: string) =>
    proxy === '*' || proxy === user.id || fullMobileUsername(proxy, user.domain) === user.username;
  if (proxies.some(listed)) return;
  throw new HttpError(
    403,
    `The form's meta/userID is ${claimedUserId}, but it was submitted by ${user.username} (${user.id}); a user may submit only their own forms unless domain ${user.domain} lists them in proxy_submitters.`,
  );
}
