/** Turns a bad query or parameter from commcare/search into the 400 that names it. */
import { CaseSearchQueryError, SearchRequestError } from '../../commcare/search/index.js';
import { HttpError } from '../http/http-error.js';

export async function refusingBadRequests<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CaseSearchQueryError) {
      throw new HttpError(
        400,
        `Bad case search: ${error.message}`,
        {},
        {
          ...(error.position !== null ? { position: error.position } : {}),
          ...(error.query ? { query: error.query } : {}),
        },
      );
    }
    if (error instanceof SearchRequestError) {
      throw new HttpError(400, `Bad parameter ${error.message}`, {}, { parameter: error.parameter });
    }
    throw error;
  }
}
