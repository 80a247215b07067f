/**
 * The standard lists backed by the indices, JSON pages that follow `search_after` (`meta.next` is
 * the next page's URL): submit history, the case list and the user list.
 */
import { apiCaseOf, apiFormOf, listQuery, type ListName } from '../../commcare/search/index.js';
import { sendJson } from '../http/respond.js';
import type { DomainRequest, Route } from '../http/route.js';
import { paramsOf } from './request-params.js';
import type { SearchConnection } from './search-connection.js';
import { refusingBadRequests } from './search-errors.js';

const shape: Record<ListName, (source: Record<string, unknown>) => unknown> = {
  forms: apiFormOf,
  cases: apiCaseOf,
  users: ({ __is_tombstone__: _tombstone, ...user }) => ({ id: user.doc_id, ...user }),
};

const summaries: Record<ListName, string> = {
  forms: 'Submit history: forms by user_id, xmlns, app_id, received_on_start/end; paged with cursor.',
  cases:
    'Case list: by type, owner_id, closed, (server_)date_modified_start/end, property.<name>; paged with cursor.',
  users:
    'User list: q (a text query over names and usernames), user_type, include_inactive; paged with cursor.',
};

export function listRoutes(connection: SearchConnection): Route[] {
  return (['forms', 'cases', 'users'] as const).map((list) => ({
    method: ['GET', 'HEAD'],
    path: `/a/:domain/api/${list}`,
    access: 'domain-user',
    summary: summaries[list],
    handle: async ({ domain, url, res }: DomainRequest) => {
      const query = await refusingBadRequests(() =>
        Promise.resolve(listQuery(list, domain, paramsOf(url.searchParams))),
      );
      const page = await (await connection.reader()).list(query);
      let next: string | null = null;
      if (page.next) {
        const following = new URLSearchParams(url.searchParams);
        following.set('cursor', page.next);
        next = `${url.pathname}?${following.toString()}`;
      }
      sendJson(res, 200, {
        meta: { limit: query.size, next, total_count: page.total },
        objects: page.objects.map(shape[list]),
      });
    },
  }));
}
