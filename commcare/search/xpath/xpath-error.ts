/**
 * A case search query that cannot be used: where in the `_xpath_query` text (0-based offset; the
 * message gives the 1-based column) and what was expected there. The server answers 400 with it.
 */
export class CaseSearchQueryError extends Error {
  override readonly name = 'CaseSearchQueryError';
  constructor(
    message: string,
    /** Offset in the query text of the part at fault; null when the fault is not in the text. */
    readonly position: number | null,
    /** The query text the error is about. */
    readonly query: string,
  ) {
    super(position === null ? message : `at column ${position + 1}: ${message}`);
  }
}

/** A related-case lookup would return more cases than a query may use (CommCare's MAX_RELATED_CASES). */
export class TooManyRelatedCasesError extends CaseSearchQueryError {}
