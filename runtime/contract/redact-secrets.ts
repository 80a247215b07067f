/**
 * The one redaction of secrets that endpoints carry, for every message, log line and status line
 * that can show an endpoint: configuration errors, `tributary check`, the JSON logs. It works on
 * any text, so an endpoint that is malformed (an unescaped `@` or `/` in a password) or quoted
 * inside a client library's error message is still caught.
 */

/** `scheme://userinfo@`: greedy up to the token's last `@`, so an unescaped `@` in a password is covered. */
const userinfo = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>`]*)@/gi;

/** Query parameters that carry credentials: password, sslpassword, secret, token, api_key, signatures. */
const credentialParameter =
  /([?&;](?:[a-z0-9_.-]*?)(?:password|passwd|pwd|secret|token|api[_-]?key|signature|credential))=([^&;#\s"'<>`]*)/gi;

/**
 * The text with `***` in place of every URL password (`postgres://user:***@host`, also with an empty
 * user, `redis://:***@host`), every user-only credential (`https://***@host`, a token) and the value of
 * every credential-like query parameter. Everything else is left as it was.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(userinfo, (_match, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      return colon < 0 ? `${scheme}***@` : `${scheme}${info.slice(0, colon)}:***@`;
    })
    .replace(credentialParameter, (_match, name: string) => `${name}=***`);
}
