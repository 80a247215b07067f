/** A request parameter a report cannot accept: the HTTP layer answers 400 and names the parameter. */
export class ReportRequestError extends Error {
  override readonly name = 'ReportRequestError';
  constructor(
    /** The query-string parameter at fault, e.g. `opened-start`. */
    readonly parameter: string,
    /** What was expected, e.g. `expected a date YYYY-MM-DD, got "yesterday"`. */
    readonly reason: string,
  ) {
    super(`parameter ${parameter}: ${reason}`);
  }
}
