/**
 * The whole flow for search: forms posted to the receiver, saved with their cases, relayed to
 * Kafka as Avro, indexed by the shipped search pipeline, and found through the served case search
 * and lists — for a domain of this test's own; an archived form's case changes leave the index.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGenerated } from '../../cli/commands/submit.js';
import type { PipelineHost } from '../../cli/pipeline-host.js';
import { registry } from '../../cli/registry.js';
import { SubmissionClient } from '../../cli/submission-client.js';
import { apiCaseOfEvent, type ApiCase } from '../../commcare/search/index.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { searchModule } from '../../server/index.js';
import type { Case, Form } from '../../schemas/generated/index.js';
import { eventually, planOf, startPipelines } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';
import { dropIndices } from './search-fixtures.js';

const names = testNames(import.meta.url);
const prefix = `${names.id}_`;
const repoRoot = new URL('../..', import.meta.url).pathname;
let receiver: TestReceiver;
let host: PipelineHost;
let auth: Record<string, string>;

beforeAll(async () => {
  receiver = await startTestReceiver(names, { users: 4, modules: [searchModule({ indexPrefix: prefix })] });
  const user = receiver.users[0]!;
  auth = { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` };
  const forms = names.topic('forms');
  const cases = names.topic('cases');
  const relay = planOf(
    `
name: ${names.id}_relay
source: { type: outbox, table: ${receiver.outboxTable}, channel: ${receiver.outboxChannel} }
sinks:
  topics:
    type: kafka
    topic: ${forms}
    partitions: 3
    value: { format: avro, schemaOf: forms }
    routes:
      forms: { topic: '${forms}', value: { format: avro, schemaOf: forms } }
      cases: { topic: '${cases}', value: { format: avro, schemaOf: cases } }
`,
    registry,
  );
  const searchYaml = readFileSync(join(repoRoot, 'pipelines/examples/search.yaml'), 'utf8')
    .replace(/^name: .*$/m, `name: ${names.id}_search`)
    .replace(/topics: \[forms, cases, .*\]/, `topics: ['${forms}', '${cases}']`);
  // Every document reaches the test's topics: no backfill of the shared primary store's other domains.
  const search = planOf(searchYaml, registry, { SEARCH_INDEX_PREFIX: prefix, SEARCH_BACKFILL: 'false' });
  host = await startPipelines([relay, search]);
}, 180_000);

afterAll(async () => {
  await host?.stop();
  await receiver?.close();
  await dropIndices(prefix);
});

const get = async (path: string, accept = 'application/json') => {
  const response = await fetch(`${receiver.service.url}/a/${receiver.domain}${path}`, {
    headers: { ...auth, accept },
  });
  return { status: response.status, text: await response.text() };
};

async function storedCases(): Promise<Case[]> {
  const rows = await receiver.service.db.any<{ event: Case }>(
    `SELECT event FROM ${T.cases} WHERE domain = $1 AND NOT deleted ORDER BY case_id`,
    [receiver.domain],
  );
  return rows.map((r) => r.event);
}

/** Every case of the domain as the case list answers it (JSON), by id; undefined while it answers 503 (no index yet). */
async function searchedCases(): Promise<Map<string, ApiCase> | undefined> {
  const all = new Map<string, ApiCase>();
  let next: string | null = '/api/cases/?limit=500';
  while (next) {
    const answer = await get(next.replace(`/a/${receiver.domain}`, ''));
    if (answer.status === 503) return undefined;
    const page = JSON.parse(answer.text) as {
      meta: { next: string | null };
      objects: ApiCase[];
    };
    for (const c of page.objects) all.set(c.case_id, c);
    next = page.meta.next;
  }
  return all;
}

async function converged(): Promise<boolean> {
  const stored = await storedCases();
  const searched = await searchedCases();
  return (
    searched !== undefined &&
    stored.length > 0 &&
    stored.length === searched.size &&
    stored.every((c) => JSON.stringify(searched.get(c.doc_id)) === JSON.stringify(apiCaseOfEvent(c)))
  );
}

describe('submissions to search', () => {
  it(
    'makes every case of the submitted forms searchable, equal to the primary store',
    { timeout: 240_000 },
    async () => {
      const client = new SubmissionClient(receiver.service.url, 8);
      const summary = await postGenerated(client, {
        domain: receiver.domain,
        count: 80,
        concurrency: 8,
        seed: 11,
        users: receiver.users,
      });
      client.close();
      expect(summary.refused).toBe(0);
      const converging = await eventually(converged, 120_000, 500);
      const deadLetters = await receiver.service.db.one<{ n: bigint }>(
        'SELECT count(*) AS n FROM tributary_dead_letters WHERE pipeline = $1',
        [`${names.id}_search`],
      );
      expect(Number(deadLetters.n)).toBe(0);
      if (!converging) {
        const stored = await storedCases();
        const searched = await searchedCases();
        expect(
          [...(searched ?? new Map<string, ApiCase>()).values()].sort((a, b) =>
            a.case_id.localeCompare(b.case_id),
          ),
        ).toEqual(stored.map(apiCaseOfEvent));
      }
    },
  );

  it(
    'answers case search as CommCare case XML and as JSON, with _xpath_query',
    { timeout: 60_000 },
    async () => {
      const households = (await storedCases()).filter((c) => c.case_type === 'household' && !c.closed);
      const xml = await get('/phone/search/?case_type=household', 'application/xml');
      expect(xml.status).toBe(200);
      expect(xml.text).toMatch(/^<\?xml version='1.0' encoding='utf-8'\?>\n<results id="case">/);
      expect(xml.text.match(/<case case_id=/g)).toHaveLength(households.length);
      const member = (await storedCases()).find((c) => c.case_type === 'member' && !c.closed)!;
      const household = member.indices.find((i) => i.identifier === 'parent')!.referenced_id;
      const query = encodeURIComponent(
        `@case_id = '${household}' and subcase-exists('parent', @case_id = '${member.doc_id}')`,
      );
      const json = JSON.parse(
        (await get(`/phone/search/?case_type=household&_xpath_query=${query}`)).text,
      ) as {
        total: number;
        cases: { case_id: string; case_type: string }[];
      };
      expect(json).toMatchObject({ total: 1, cases: [{ case_id: household, case_type: 'household' }] });
      const bad = await get(
        `/phone/search/?case_type=household&_xpath_query=${encodeURIComponent("name = 'x' and")}`,
      );
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text)).toMatchObject({ position: 14 });
    },
  );

  it('pages the submit history through every form with search_after', { timeout: 60_000 }, async () => {
    const stored = await receiver.service.db.any<{ form_id: string }>(
      `SELECT form_id FROM ${T.forms} WHERE domain = $1 AND state = 'normal' ORDER BY form_id`,
      [receiver.domain],
    );
    // Each index is swapped in on its own: the forms index may answer (not 503) a moment after the cases one.
    expect(await eventually(async () => (await get('/api/forms/?limit=1')).status === 200, 60_000)).toBe(
      true,
    );
    const seen: string[] = [];
    let next: string | null = '/api/forms/?limit=7';
    let pages = 0;
    while (next) {
      const page = JSON.parse((await get(next.replace(`/a/${receiver.domain}`, ''))).text) as {
        meta: { next: string | null; total_count: number };
        objects: { id: string }[];
      };
      expect(page.meta.total_count).toBe(stored.length);
      seen.push(...page.objects.map((f) => f.id));
      next = page.meta.next;
      pages++;
    }
    expect(pages).toBeGreaterThan(5);
    expect(seen.sort()).toEqual(stored.map((r) => r.form_id));
  });

  it(
    "takes an archived form's case changes out of search, and brings them back on restore",
    { timeout: 120_000 },
    async () => {
      const { event: form } = await receiver.service.db.one<{ event: Form }>(
        `SELECT event FROM ${T.forms} WHERE domain = $1 AND state = 'normal' AND xmlns LIKE '%followup%' AND jsonb_array_length(event->'case_ids') > 0 ORDER BY seq DESC LIMIT 1`,
        [receiver.domain],
      );
      const caseId = form.case_ids[0]!;
      const before = JSON.parse((await get(`/api/cases/${caseId}`)).text) as ApiCase;
      const archive = await fetch(
        `${receiver.service.url}/a/${receiver.domain}/forms/${form.doc_id}/archive`,
        {
          method: 'POST',
          headers: auth,
        },
      );
      expect(archive.status).toBe(200);
      const inSearch = async () => {
        const page = JSON.parse(
          (
            await get(
              `/phone/search/?case_type=member&case_type=household&include_closed=true&_xpath_query=${encodeURIComponent(`@case_id = '${caseId}'`)}`,
            )
          ).text,
        ) as { cases: { properties: Record<string, string> }[] };
        return page.cases[0];
      };
      expect(await eventually(converged, 60_000, 500)).toBe(true);
      const after = JSON.parse((await get(`/api/cases/${caseId}`)).text) as ApiCase;
      expect(after).not.toEqual(before);
      expect((await inSearch())?.properties).toMatchObject(after.properties);
      const forms = JSON.parse((await get(`/api/forms/?limit=1000`)).text) as { objects: { id: string }[] };
      expect(forms.objects.map((f) => f.id)).not.toContain(form.doc_id);

      await fetch(`${receiver.service.url}/a/${receiver.domain}/forms/${form.doc_id}/unarchive`, {
        method: 'POST',
        headers: auth,
      });
      expect(await eventually(converged, 60_000, 500)).toBe(true);
      expect(JSON.parse((await get(`/api/cases/${caseId}`)).text)).toMatchObject({
        properties: before.properties,
      });
    },
  );
});
