/** A refusal the server writes as an answer: a status, a message naming the problem, extra headers. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** Extra fields for a JSON body (e.g. `{ parameter: 'limit' }`). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  new HttpError(405, `${method} is not allowed here; use ${allowed.join(' or ')}.`, {
    allow: allowed.join(', '),
  });
