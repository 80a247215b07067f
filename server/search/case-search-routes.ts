/**
 * Case search, CommCare's API: `GET /a/{domain}/phone/search/?case_type=T&{property}={value}&_xpath_query=…`
 * answers CommCare's `<results id="case">` case XML, or `{total, cases}` JSON with
 * `Accept: application/json`, for users of the domain.
 */
import {
  caseResultsXml,
  caseSearchPlan,
  caseSearchSettings,
  searchCaseOf,
  type CaseSearchConfig,
} from '../../commcare/search/index.js';
import { send, sendJson } from '../http/respond.js';
import type { DomainRequest, Route } from '../http/route.js';
import { paramsOf, wantsJson } from './request-params.js';
import type { SearchConnection } from './search-connection.js';
import { refusingBadRequests } from './search-errors.js';

export function caseSearchRoutes(
  connection: SearchConnection,
  configs: ReadonlyMap<string, CaseSearchConfig>,
): Route[] {
  const handle = async ({ domain, url, req, res }: DomainRequest) => {
    const params = paramsOf(url.searchParams);
    const reader = await connection.reader();
    const timeZone = await reader.timeZone(domain);
    const query = (params.get('_xpath_query') ?? []).join(' and ');
    const { total, hits } = await refusingBadRequests(async () => {
      const plan = caseSearchPlan({
        domain,
        params,
        settings: caseSearchSettings(configs.get(domain), params.get('case_type') ?? []),
        timeZone,
        now: Date.now(),
      });
      return reader.caseSearch(plan, query);
    });
    const cases = hits.map((hit) => searchCaseOf(hit.source));
    if (wantsJson(req.headers.accept)) return sendJson(res, 200, { total, cases });
    send(res, 200, 'application/xml; charset=utf-8', caseResultsXml(cases), { 'cache-control': 'no-store' });
  };
  return [
    {
      method: ['GET', 'HEAD'],
      path: '/a/:domain/phone/search',
      access: 'domain-user',
      summary:
        'Case search: cases by type, properties and _xpath_query, as case XML (or JSON with Accept: application/json).',
      handle,
    },
  ];
}
