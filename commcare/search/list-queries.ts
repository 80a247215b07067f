/**
 * The standard lists over the indices, as JSON pages: submit history (`forms`: by user, xmlns,
 * app, received-on range), the case list (`case_search`: type, owner, open/closed, modified range,
 * `property.<name>=value` filters) and the user list (`users`: a text query over names and
 * usernames, for the "groups or users" filter). Pages follow `search_after` on a sort that ends
 * in the document id, so page 1,000 costs what page 1 does; the cursor is that sort position.
 */
import { and, exactProperty, notTombstone, term, terms, type Dsl } from './case-search-queries.js';
import { SearchRequestError } from './search-request-error.js';

export type ListName = 'forms' | 'cases' | 'users';

export interface ListQuery {
  /** The logical index the list reads. */
  index: 'forms' | 'case_search' | 'users';
  query: Dsl;
  sort: Record<string, 'asc' | 'desc'>[];
  size: number;
  /** The sort position to continue after, from the request's cursor. */
  searchAfter: unknown[] | undefined;
}

type Params = ReadonlyMap<string, readonly string[]>;

export const listPageSize = { default: 20, max: 1000 } as const;

const one = (params: Params, name: string): string | undefined => {
  const values = params.get(name);
  return values?.length ? values[values.length - 1] : undefined;
};

function dateParam(params: Params, name: string): string | undefined {
  const value = one(params, name);
  if (value === undefined || value === '') return undefined;
  if (
    !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ||
    Number.isNaN(Date.parse(value.replace(' ', 'T')))
  ) {
    throw new SearchRequestError(
      name,
      `expected a date (YYYY-MM-DD) or date-time (ISO 8601), got '${value}'`,
    );
  }
  return value.replace(' ', 'T');
}

function range(params: Params, field: string, start: string, end: string): Dsl[] {
  const gte = dateParam(params, start);
  const lte = dateParam(params, end);
  if (gte === undefined && lte === undefined) return [];
  return [{ range: { [field]: { ...(gte ? { gte } : {}), ...(lte ? { lte } : {}) } } }];
}

function values(params: Params, name: string): string[] {
  return (params.get(name) ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function encodeCursor(sort: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(sort)).toString('base64url');
}

function pageOf(params: Params): { size: number; searchAfter: unknown[] | undefined } {
  const limit = one(params, 'limit');
  const size = limit === undefined ? listPageSize.default : Number(limit);
  if (!Number.isInteger(size) || size < 1 || size > listPageSize.max) {
    throw new SearchRequestError(
      'limit',
      `expected a whole number from 1 to ${listPageSize.max}, got '${limit}'`,
    );
  }
  const cursor = one(params, 'cursor');
  if (cursor === undefined || cursor === '') return { size, searchAfter: undefined };
  try {
    const searchAfter: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(searchAfter) && searchAfter.length) return { size, searchAfter };
  } catch {
    // reported below
  }
  throw new SearchRequestError('cursor', 'expected the cursor of a previous page (meta.next)');
}

function bool(params: Params, name: string): boolean | undefined {
  const value = one(params, name);
  if (value === undefined || value === '') return undefined;
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw new SearchRequestError(name, `expected true or false, got '${value}'`);
}

function formList(domain: string, params: Params): Dsl {
  const filters: Dsl[] = [term('domain.exact', domain), notTombstone()];
  const archived = bool(params, 'include_archived');
  filters.push(
    archived
      ? terms('doc_type.exact', ['XFormInstance', 'XFormArchived'])
      : term('doc_type.exact', 'XFormInstance'),
  );
  const users = values(params, 'user_id');
  if (users.length) filters.push(terms('form.meta.userID', users));
  const xmlns = values(params, 'xmlns');
  if (xmlns.length) filters.push(terms('xmlns.exact', xmlns));
  const apps = values(params, 'app_id');
  if (apps.length) filters.push(terms('app_id', apps));
  filters.push(...range(params, 'received_on', 'received_on_start', 'received_on_end'));
  return and(...filters);
}

function caseList(domain: string, params: Params): Dsl {
  const filters: Dsl[] = [term('domain.exact', domain), notTombstone()];
  const types = [...values(params, 'case_type'), ...values(params, 'type')];
  if (types.length) filters.push(terms('type.exact', types));
  const owners = values(params, 'owner_id');
  if (owners.length) filters.push(terms('owner_id', owners));
  const closed = bool(params, 'closed');
  if (closed !== undefined) filters.push(term('closed', closed));
  filters.push(
    ...range(params, 'server_modified_on', 'server_date_modified_start', 'server_date_modified_end'),
  );
  filters.push(...range(params, 'modified_on', 'date_modified_start', 'date_modified_end'));
  for (const [name, wanted] of params) {
    if (!name.startsWith('property.')) continue;
    const property = name.slice('property.'.length);
    if (!property) throw new SearchRequestError(name, 'expected property.<name>=<value>');
    filters.push(exactProperty(property, wanted.length === 1 ? wanted[0]! : [...wanted]));
  }
  return and(...filters);
}

function userList(domain: string, params: Params): Dsl {
  const filters: Dsl[] = [term('domain.exact', domain), notTombstone()];
  const type = one(params, 'user_type');
  if (type !== undefined && type !== 'mobile' && type !== 'web') {
    throw new SearchRequestError('user_type', `expected mobile or web, got '${type}'`);
  }
  if (type) filters.push(term('doc_type', type === 'mobile' ? 'CommCareUser' : 'WebUser'));
  if (!bool(params, 'include_inactive')) filters.push(term('is_active', true));
  const q = one(params, 'q')?.trim();
  if (q) {
    filters.push({
      multi_match: {
        query: q,
        type: 'bool_prefix',
        operator: 'and',
        fields: ['username', 'base_username', 'first_name', 'last_name'],
      },
    });
  }
  return and(...filters);
}

/** The query of a list request; a SearchRequestError (a 400) names a bad parameter. */
export function listQuery(list: ListName, domain: string, params: Params): ListQuery {
  const page = pageOf(params);
  switch (list) {
    case 'forms':
      return {
        index: 'forms',
        query: formList(domain, params),
        sort: [{ received_on: 'desc' }, { doc_id: 'desc' }],
        ...page,
      };
    case 'cases':
      return {
        index: 'case_search',
        query: caseList(domain, params),
        sort: [{ server_modified_on: 'desc' }, { doc_id: 'desc' }],
        ...page,
      };
    case 'users':
      return {
        index: 'users',
        query: userList(domain, params),
        sort: [{ 'username.exact': 'asc' }, { doc_id: 'asc' }],
        ...page,
      };
  }
}
