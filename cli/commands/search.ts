/**
 * `tributary search query --domain D --case-type T --xpath '…' [--explain]`: a case search as the
 * server runs it, from the command line. With --explain it prints the compiled plan (the query DSL
 * and the related-case lookups it needs) and connects to nothing; otherwise it asks the search
 * engine at SEARCH_URL (no Tributary server) and prints the cases found.
 */
import type { OptionValues } from '../command.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { readCaseSearchConfigs } from '../../connectors/search/case-search-config-folder.js';
import { connectSearchEngine } from '../../connectors/search/create-search-engine.js';
import { SearchReader } from '../../connectors/search/search-reader.js';
import {
  caseSearchPlan,
  caseSearchSettings,
  CaseSearchQueryError,
  isTimeZone,
  searchCaseOf,
} from '../../commcare/search/index.js';
import { formatTable } from '../format.js';

export interface SearchCommandOptions {
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const list = (value: OptionValues[string]): string[] =>
  value === undefined || typeof value === 'boolean' ? [] : typeof value === 'string' ? [value] : value;

export async function searchQueryCommand(
  values: OptionValues,
  options: SearchCommandOptions = {},
): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  const domain = list(values.domain)[0];
  const caseTypes = list(values['case-type']);
  if (!domain || !caseTypes.length) {
    err('search query: --domain and at least one --case-type are required');
    return 2;
  }
  const zone = list(values['time-zone'])[0];
  if (zone !== undefined && !isTimeZone(zone)) {
    err(`search query: --time-zone: not a time zone: ${zone}`);
    return 2;
  }
  const params = new Map<string, string[]>([
    ['case_type', caseTypes],
    ['_xpath_query', list(values.xpath)],
    ['include_closed', values['include-closed'] === true ? ['true'] : []],
  ]);
  const configs = await readCaseSearchConfigs(list(values.configs)[0] ?? 'pipelines/search/case-search');
  const settings = caseSearchSettings(configs.get(domain), caseTypes);
  const query = list(values.xpath).join(' and ');
  const planFor = (timeZone: string) =>
    caseSearchPlan({ domain, params, settings, timeZone, now: Date.now() });
  try {
    if (values.explain === true) {
      out(JSON.stringify(planFor(zone ?? 'UTC'), null, 2));
      return 0;
    }
    const engine = await connectSearchEngine(readEndpoints().SEARCH_URL);
    try {
      const reader = new SearchReader(engine, list(values.prefix)[0] ?? '');
      const search = planFor(zone ?? (await reader.timeZone(domain)));
      const { total, hits } = await reader.caseSearch(search, query, Number(list(values.limit)[0] ?? 500));
      const cases = hits.map((hit) => searchCaseOf(hit.source));
      if (values.json === true) {
        out(JSON.stringify({ total, cases }, null, 2));
      } else {
        out(
          formatTable(
            ['CASE ID', 'TYPE', 'OWNER', 'STATUS', 'NAME'],
            cases.map((c) => [c.case_id, c.case_type, c.owner_id, c.status, c.properties.case_name ?? '']),
          ),
        );
        out(`${total} case(s) found${total > cases.length ? `, ${cases.length} shown` : ''}.`);
      }
      return 0;
    } finally {
      await engine.close();
    }
  } catch (error) {
    if (error instanceof CaseSearchQueryError) {
      err(
        `search query: ${error.message}${error.query ? `\n  ${error.query}\n  ${' '.repeat(error.position ?? 0)}^` : ''}`,
      );
      return 2;
    }
    err(`search query: ${(error as Error).message}`);
    return 1;
  }
}
