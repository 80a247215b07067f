// CommCare's search, pure: change events → index documents, the mappings' definitions, the case search language → query DSL, answers.
export { apiCaseOf, apiCaseOfEvent, apiFormOf, apiFormOfEvent, type ApiCase } from './api-records.js';
export {
  caseSearchConfigOf,
  caseSearchSettings,
  CaseSearchConfigError,
  type CaseSearchConfig,
  type CaseSearchSettings,
} from './case-search-config.js';
export {
  and,
  ids,
  matchAll,
  notTombstone,
  or,
  term,
  terms,
  TOMBSTONE_FIELD,
  type Dsl,
} from './case-search-queries.js';
export {
  caseSearchMaxResults,
  caseSearchPlan,
  domainScope,
  type CaseSearchPlan,
} from './case-search-request.js';
export { caseResultsXml, searchCaseOf, type SearchCase } from './case-search-results.js';
export { caseSearchIndexDoc, specialCaseProperties } from './documents/case-search-index-doc.js';
export { casesIndexDoc } from './documents/cases-index-doc.js';
export {
  appsIndexDoc,
  domainsIndexDoc,
  groupsIndexDoc,
  locationsIndexDoc,
  usersIndexDoc,
} from './documents/config-index-docs.js';
export { formsIndexDoc } from './documents/forms-index-doc.js';
export {
  searchActionsOf,
  searchIndexNames,
  type SearchAction,
  type SearchIndexName,
} from './documents/search-actions.js';
export { searchEventOf, type SearchEvent } from './documents/search-event.js';
export {
  canonicalJson,
  IndexDefinitionError,
  indexDefinitionOf,
  indexNames,
  type IndexDefinition,
} from './index-definition.js';
export { searchIndexType, type SearchIndexCatalog } from './search-index-catalog.js';
export { encodeCursor, listPageSize, listQuery, type ListName, type ListQuery } from './list-queries.js';
export { phoneticCodes, soundex } from './phonetic-codes.js';
export { SearchRequestError } from './search-request-error.js';
export { compileXPath } from './xpath/compile-xpath.js';
export { parseXPath } from './xpath/parse-xpath.js';
export {
  isPlainPlan,
  plainDsl,
  resolvePlan,
  type QueryPlan,
  type RelatedCaseLookups,
  type ResolveOptions,
} from './xpath/query-plan.js';
export { CaseSearchQueryError, TooManyRelatedCasesError } from './xpath/xpath-error.js';
export { isTimeZone } from './xpath/xpath-dates.js';
