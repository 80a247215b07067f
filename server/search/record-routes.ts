/**
 * Single records from the primary store in PostgreSQL, not the indices: `/a/{domain}/api/cases/{id}`
 * and `/api/forms/{id}` keep answering while the search engine is down.
 */
import { apiCaseOfEvent, apiFormOfEvent } from '../../commcare/search/index.js';
import { storedCase, storedForm } from '../../connectors/postgres/primary-store-reads.js';
import type { Database } from '../../connectors/postgres/postgres-pool.js';
import { HttpError } from '../http/http-error.js';
import { sendJson } from '../http/respond.js';
import type { Route } from '../http/route.js';

export function recordRoutes(db: Database): Route[] {
  return [
    {
      method: ['GET', 'HEAD'],
      path: '/a/:domain/api/cases/:caseId',
      access: 'domain-user',
      summary: 'One case from the primary store (answers while the search engine is down).',
      handle: async ({ domain, params, res }) => {
        const event = await storedCase(db, domain, params.caseId!);
        if (!event) throw new HttpError(404, `No case ${params.caseId} in domain ${domain}.`);
        sendJson(res, 200, apiCaseOfEvent(event));
      },
    },
    {
      method: ['GET', 'HEAD'],
      path: '/a/:domain/api/forms/:formId',
      access: 'domain-user',
      summary: 'One form from the primary store (answers while the search engine is down).',
      handle: async ({ domain, params, res }) => {
        const event = await storedForm(db, domain, params.formId!);
        if (!event) throw new HttpError(404, `No form ${params.formId} in domain ${domain}.`);
        sendJson(res, 200, apiFormOfEvent(event));
      },
    },
  ];
}
