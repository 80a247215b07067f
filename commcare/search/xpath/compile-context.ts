/** What compiling a case search query needs besides the query: CommCare's SearchFilterContext. */
import type { ValueContext } from './xpath-values.js';

export interface CompileContext extends ValueContext {
  /** Equality as fuzzy matching (CommCare's fuzzy search flag). */
  fuzzy: boolean;
  /** Leading characters a fuzzy match must get exactly right (0: none). */
  fuzzyPrefixLength: number;
}

/**
 * System properties that are date-times in CommCare (`SPECIAL_CASE_PROPERTIES_MAP` entries backed
 * by a DateTimeField): comparing them with a date compares with that day in the project's time zone.
 */
export const dateTimeProperties: ReadonlySet<string> = new Set(['date_opened', 'closed_on', 'last_modified']);
