/**
 * What one change event does to the search indices: which indices it feeds (a form the `forms`
 * index; a case `cases` and `case_search`; a user `users`; a group, domain, application or
 * location its own), and, for each, the document to index at the event's version, or a delete
 * (written as a tombstone at that version by the sink, so an older replay never brings it back).
 */
import { casesIndexDoc } from './cases-index-doc.js';
import { caseSearchIndexDoc } from './case-search-index-doc.js';
import {
  appsIndexDoc,
  domainsIndexDoc,
  groupsIndexDoc,
  locationsIndexDoc,
  usersIndexDoc,
} from './config-index-docs.js';
import { formsIndexDoc } from './forms-index-doc.js';
import { searchEventOf, type SearchEvent } from './search-event.js';

export const searchIndexNames = [
  'forms',
  'cases',
  'case_search',
  'users',
  'groups',
  'domains',
  'apps',
  'locations',
] as const;
export type SearchIndexName = (typeof searchIndexNames)[number];

export interface SearchAction {
  /** The logical index (its alias without the deployment's prefix). */
  index: SearchIndexName;
  id: string;
  domain: string;
  version: number;
  /** The document; null deletes it. */
  doc: Record<string, unknown> | null;
}

const feeds: { [K in SearchEvent['kind']]: readonly SearchIndexName[] } = {
  form: ['forms'],
  case: ['cases', 'case_search'],
  user: ['users'],
  group: ['groups'],
  domain: ['domains'],
  app: ['apps'],
  location: ['locations'],
};

function documentFor(index: SearchIndexName, change: SearchEvent): Record<string, unknown> {
  switch (change.kind) {
    case 'form':
      return formsIndexDoc(change.event);
    case 'case':
      return index === 'case_search' ? caseSearchIndexDoc(change.event) : casesIndexDoc(change.event);
    case 'user':
      return usersIndexDoc(change.event);
    case 'group':
      return groupsIndexDoc(change.event);
    case 'domain':
      return domainsIndexDoc(change.event);
    case 'app':
      return appsIndexDoc(change.event);
    case 'location':
      return locationsIndexDoc(change.event);
  }
}

/** The actions of a record value on the given indices; none for a value that is not a change event. */
export function searchActionsOf(value: unknown, indices: ReadonlySet<SearchIndexName>): SearchAction[] {
  const change = searchEventOf(value);
  if (!change) return [];
  const { doc_id: id, domain, version, deleted } = change.event;
  return feeds[change.kind]
    .filter((index) => indices.has(index))
    .map((index) => ({ index, id, domain, version, doc: deleted ? null : documentFor(index, change) }));
}
