/**
 * Every form records who submitted it (`auth_user_id`, `auth_username`, `auth_method`) beside what
 * its meta claims, and a form whose meta/userID names someone else is refused (403) unless the
 * domain lists the submitter in `proxy_submitters`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoApiKey } from '../../cli/demo-directory.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const proxyNames = testNames(import.meta.url);
const database = await testDatabase();
let receiver: TestReceiver;
/** A domain whose Domain document lets its first user submit for the others. */
let proxied: TestReceiver;

beforeAll(async () => {
  receiver = await startTestReceiver(names, { users: 2 });
  proxied = await startTestReceiver(proxyNames, { users: 2 });
  const couch = readEndpoints().COUCHDB_URL.replace(/\/?$/, '/');
  const docUrl = `${couch}commcarehq/domain-${proxied.domain}`;
  const domainDoc = (await (await fetch(docUrl)).json()) as Record<string, unknown>;
  const saved = await fetch(docUrl, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...domainDoc, proxy_submitters: [proxied.users[0]!.username] }),
  });
  expect(saved.ok).toBe(true);
}, 60_000);

afterAll(async () => {
  await receiver.close();
  await proxied.close();
  for (const n of [names, proxyNames])
    await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [n.pgSchema()]);
  await database.close();
});

function form(formId: string, userId: string): string {
  return `<?xml version="1.0"?>
<data xmlns="http://tributary.dev/test/authorship">
  <answer>yes</answer>
  <meta xmlns="http://openrosa.org/jr/xforms"><instanceID>${formId}</instanceID><userID>${userId}</userID>
    <username>whoever</username></meta>
</data>`;
}

async function submit(server: TestReceiver, xml: string, authorization: string) {
  const response = await fetch(`${server.service.url}/a/${server.domain}/receiver`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', authorization },
    body: xml,
  });
  return { status: response.status, body: await response.text() };
}

const basic = (user: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;

async function stored(formId: string) {
  const row = await database.db.oneOrNone<{ user_id: string; event: Record<string, unknown> }>(
    `SELECT user_id, event FROM ${T.forms} WHERE form_id = $1`,
    [formId],
  );
  const outbox = await database.db.manyOrNone<{ payload: Record<string, unknown> }>(
    `SELECT payload FROM ${receiver.outboxTable} WHERE doc_id = $1 UNION ALL SELECT payload FROM ${proxied.outboxTable} WHERE doc_id = $1`,
    [formId],
  );
  return { row, published: outbox.map((o) => o.payload) };
}

describe('authorship', () => {
  it('records the authenticated user beside the meta, in the store and in the published event', async () => {
    const user = receiver.users[0]!;
    const formId = randomUUID();
    expect((await submit(receiver, form(formId, user.id), basic(user))).status).toBe(201);
    const { row, published } = await stored(formId);
    const expected = {
      user_id: user.id,
      username: 'whoever',
      auth_user_id: user.id,
      auth_username: `${user.username}@${receiver.domain}.commcarehq.org`,
      auth_method: 'basic',
    };
    expect(row!.event).toMatchObject(expected);
    expect(published).toEqual([expect.objectContaining(expected)]);
  });

  it('records how the user authenticated: an API key', async () => {
    const user = receiver.users[1]!;
    const formId = randomUUID();
    const response = await submit(
      receiver,
      form(formId, user.id),
      `ApiKey ${user.username}:${demoApiKey(user)}`,
    );
    expect(response.status).toBe(201);
    expect((await stored(formId)).row!.event).toMatchObject({ auth_user_id: user.id, auth_method: 'apikey' });
  });

  it('refuses with 403 a form whose meta/userID names another user, and stores nothing', async () => {
    const [me, other] = receiver.users;
    const formId = randomUUID();
    const response = await submit(receiver, form(formId, other!.id), basic(me!));
    expect(response.status).toBe(403);
    expect(response.body).toContain(`meta/userID is ${other!.id}`);
    expect(response.body).toContain('proxy_submitters');
    const { row, published } = await stored(formId);
    expect(row).toBeNull();
    expect(published).toEqual([]);
  });

  it('accepts a proxy submission from a user the domain lists, recording both users', async () => {
    const [proxy, worker] = proxied.users;
    const formId = randomUUID();
    expect((await submit(proxied, form(formId, worker!.id), basic(proxy!))).status).toBe(201);
    expect((await stored(formId)).row).toMatchObject({
      user_id: worker!.id,
      event: { user_id: worker!.id, auth_user_id: proxy!.id },
    });
    // The listed user only: the other may not submit for the proxy.
    expect((await submit(proxied, form(randomUUID(), proxy!.id), basic(worker!))).status).toBe(403);
  });
});
