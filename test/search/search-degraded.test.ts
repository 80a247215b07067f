/**
 * With the search engine down, search degrades as the platform overview says: case search and the
 * lists answer 503 with Retry-After (clients try again), while single cases and forms still answer
 * from PostgreSQL.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmissionClient } from '../../cli/submission-client.js';
import { postGenerated } from '../../cli/commands/submit.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { searchModule } from '../../server/index.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
let receiver: TestReceiver;
let auth: Record<string, string>;

/** A port nothing listens on: the search engine is down. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  receiver = await startTestReceiver(names, {
    users: 2,
    modules: [searchModule({ url, indexPrefix: `${names.id}_` })],
  });
  const user = receiver.users[0]!;
  auth = { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` };
  const client = new SubmissionClient(receiver.service.url, 2);
  await postGenerated(client, {
    domain: receiver.domain,
    count: 3,
    concurrency: 2,
    seed: 3,
    users: receiver.users,
  });
  client.close();
}, 120_000);

afterAll(async () => {
  await receiver?.close();
});

const get = (path: string) =>
  fetch(`${receiver.service.url}/a/${receiver.domain}${path}`, {
    headers: { ...auth, accept: 'application/json' },
  });

describe('search with the engine down', () => {
  it.each(['/phone/search/?case_type=household', '/api/cases/', '/api/forms/', '/api/users/?q=chw'])(
    '%s answers 503 with Retry-After',
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    },
  );

  it('still answers single cases and forms from PostgreSQL', async () => {
    const { event } = await receiver.service.db.one<{ event: { doc_id: string; case_ids: string[] } }>(
      `SELECT event FROM ${T.forms} WHERE domain = $1 LIMIT 1`,
      [receiver.domain],
    );
    const form = await get(`/api/forms/${event.doc_id}`);
    expect(form.status).toBe(200);
    expect(await form.json()).toMatchObject({ id: event.doc_id, domain: receiver.domain });
    const caseId = event.case_ids[0]!;
    const found = await get(`/api/cases/${caseId}`);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ case_id: caseId, domain: receiver.domain });
    expect((await get('/api/cases/no-such-case')).status).toBe(404);
  });
});
