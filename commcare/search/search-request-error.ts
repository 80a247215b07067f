/** A list request parameter that cannot be used: the server answers 400 naming it. */
export class SearchRequestError extends Error {
  override readonly name = 'SearchRequestError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}
