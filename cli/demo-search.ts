/**
 * The demo's search step: waits until the search pipeline has indexed the demo domain's cases,
 * then runs a case search over HTTP as a device would (CommCare's case XML) and as JSON, and
 * prints what it found.
 */
import type { Database } from '../connectors/postgres/postgres-pool.js';
import { primaryStoreTables } from '../connectors/postgres/primary-store.js';
import { formatTable } from './format.js';

export interface DemoSearchInput {
  serverUrl: string;
  domain: string;
  user: { username: string; password: string };
  db: Database;
  /** The step's number in the demo. */
  step: number;
}

interface Found {
  total: number;
  cases: { case_id: string; case_type: string; status: string; properties: Record<string, string> }[];
}

export async function demoCaseSearch(input: DemoSearchInput): Promise<void> {
  const { serverUrl, domain, user, db } = input;
  const headers = {
    authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
  };
  const search = async (params: string, accept: string) =>
    fetch(`${serverUrl}/a/${domain}/phone/search/?${params}`, { headers: { ...headers, accept } });
  const { n: stored } = await db.one<{ n: bigint }>(
    `SELECT count(*) AS n FROM ${primaryStoreTables.cases} WHERE domain = $1 AND NOT deleted`,
    [domain],
  );
  // The index is searchable within its refresh interval of the change reaching the pipeline.
  const deadline = Date.now() + 60_000;
  let indexed = 0;
  while (Date.now() < deadline) {
    const response = await search(
      'case_type=household&case_type=member&include_closed=true',
      'application/json',
    );
    indexed = response.ok ? ((await response.json()) as Found).total : 0;
    if (BigInt(indexed) >= stored) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const xpath = "village = 'Bondo' and subcase-exists('parent', age >= 60)";
  const params = `case_type=household&_xpath_query=${encodeURIComponent(xpath)}`;
  console.log(
    `\n${input.step}. Case search (pipelines/examples/search.yaml keeps the indices; ${indexed} of ${stored} cases indexed):` +
      `\n   GET /a/${domain}/phone/search/?case_type=household&_xpath_query=${xpath}\n`,
  );
  const json = (await (await search(params, 'application/json')).json()) as Found;
  console.log(
    formatTable(
      ['CASE ID', 'NAME', 'VILLAGE', 'STATUS'],
      json.cases
        .slice(0, 8)
        .map((c) => [c.case_id, c.properties.case_name ?? '', c.properties.village ?? '', c.status]),
    )
      .split('\n')
      .map((line) => `   ${line}`)
      .join('\n'),
  );
  console.log(`   ${json.total} household(s) in Bondo with a member aged 60 or more.`);
  const xml = await (await search(params, 'application/xml')).text();
  console.log(
    `\n   The same as a device reads it (case XML, first 300 characters):\n   ${xml.slice(0, 300).replace(/\n/g, '\n   ')}…`,
  );
  console.log(
    `\n   By hand (with tributary serve running the search pipeline):\n` +
      `   curl -u ${user.username}@${domain}.commcarehq.org:${user.password} -H 'Accept: application/json' \\\n` +
      `        'http://127.0.0.1:8000/a/${domain}/phone/search/?${params}'\n` +
      `   npm run tributary -- search query --domain ${domain} --case-type household --xpath "${xpath}" --explain`,
  );
}
