import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoApiKey } from '../../cli/demo-directory.js';
import { SubmissionClient } from '../../cli/submission-client.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const other = testNames(import.meta.url);
const database = await testDatabase();
let receiver: TestReceiver;
let otherReceiver: TestReceiver;
let client: SubmissionClient;

beforeAll(async () => {
  receiver = await startTestReceiver(names, {
    maxBodyBytes: 64 * 1024,
    // Stands for the reports: an endpoint under /a/<domain>/ mounted beside the receiver.
    modules: [
      () => ({
        name: 'hello',
        routes: [
          {
            method: 'GET',
            path: '/a/:domain/hello',
            access: 'domain-user',
            summary: 'Says hello to a user of the domain.',
            handle: ({ res }) => {
              res.end('hello');
              return Promise.resolve();
            },
          },
        ],
      }),
    ],
  });
  // A second domain, for users and cases that belong elsewhere.
  otherReceiver = await startTestReceiver(other);
  client = new SubmissionClient(receiver.service.url, 4);
});

afterAll(async () => {
  client.close();
  await receiver.close();
  await otherReceiver.close();
  for (const n of [names, other])
    await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [n.pgSchema()]);
  await database.close();
});

const caseNs = 'http://commcarehq.org/case/transaction/v2';

/** The submitting user's id: a form's meta/userID must name whoever submits it. */
const submitter = () => receiver.users[0]!.id;

function registration(
  formId: string,
  household: string,
  member: string,
  village = 'Bondo',
  userId = submitter(),
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<data xmlns="http://tributary.dev/demo/household-registration" name="Household registration">
  <village>${village}</village>
  <case xmlns="${caseNs}" case_id="${household}" date_modified="2026-10-01T08:00:00Z" user_id="u1">
    <create><case_type>household</case_type><case_name>Okafor household</case_name><owner_id>u1</owner_id></create>
    <update><village>${village}</village></update>
  </case>
  <members><member><name>Ada Okafor</name>
    <case xmlns="${caseNs}" case_id="${member}" date_modified="2026-10-01T08:00:00Z" user_id="u1">
      <create><case_type>member</case_type><case_name>Ada Okafor</case_name><owner_id>u1</owner_id></create>
      <update><age>34</age></update>
      <index><parent case_type="household">${household}</parent></index>
    </case></member></members>
  <meta xmlns="http://openrosa.org/jr/xforms"><instanceID>${formId}</instanceID><userID>${userId}</userID>
    <timeEnd>2026-10-01T08:00:00Z</timeEnd></meta>
</data>`;
}

function update(
  formId: string,
  caseId: string,
  properties: string,
  extra = '',
  userId = submitter(),
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<data xmlns="http://tributary.dev/demo/followup-visit">
  <case xmlns="${caseNs}" case_id="${caseId}" date_modified="2026-10-02T08:00:00Z" user_id="u1">
    <update>${properties}</update>${extra}
  </case>
  <meta xmlns="http://openrosa.org/jr/xforms"><instanceID>${formId}</instanceID><userID>${userId}</userID></meta>
</data>`;
}

const user = () => ({ username: receiver.users[0]!.username, password: receiver.users[0]!.password });

async function post(
  path: string,
  init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(`${receiver.service.url}${path}`, {
    method: init.method ?? 'POST',
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

const basic = (username: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
});

async function outboxRows(docId?: string): Promise<{ topic: string; doc_id: string; version: bigint }[]> {
  return database.db.manyOrNone(
    `SELECT topic, doc_id, version FROM $1:raw ${docId ? 'WHERE doc_id = $2' : ''} ORDER BY id`,
    [`"${names.pgSchema()}"."outbox"`, docId],
  );
}

async function formState(formId: string): Promise<{ state: string; version: bigint } | null> {
  return database.db.oneOrNone(`SELECT state, version FROM ${T.forms} WHERE form_id = $1`, [formId]);
}

async function caseRow(caseId: string) {
  return database.db.oneOrNone<{
    version: bigint;
    deleted: boolean;
    closed: boolean;
    event: { properties: Record<string, string>; indices: unknown[]; name: string };
  }>(`SELECT version, deleted, closed, event FROM ${T.cases} WHERE case_id = $1`, [caseId]);
}

describe('the OpenRosa receiver', () => {
  it('answers HEAD without credentials with the 401 challenge, as devices expect before posting', async () => {
    const response = await post(`/a/${receiver.domain}/receiver`, { method: 'HEAD' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(response.body).toBe('');
    const wrong = await post(`/a/${receiver.domain}/receiver`, {
      method: 'HEAD',
      headers: basic(user().username, 'wrong'),
    });
    expect(wrong.status).toBe(401);
  });

  it('answers HEAD with valid credentials with 204 and the OpenRosa headers', async () => {
    for (const path of [`/a/${receiver.domain}/receiver`, `/a/${receiver.domain}/receiver/some-app`]) {
      const response = await post(path, { method: 'HEAD', headers: basic(user().username, user().password) });
      expect(response.status).toBe(204);
      expect(response.headers.get('x-openrosa-version')).toBe('1.0');
      expect(response.headers.get('x-openrosa-accept-content-length')).toBe(String(64 * 1024));
    }
    const unknown = await post('/a/no-such-domain-here/receiver', {
      method: 'HEAD',
      headers: basic(user().username, user().password),
    });
    expect(unknown.status).toBe(404);
  });

  it('saves a multipart submission: form, cases, indices, blobs and one outbox row per document', async () => {
    const [formId, household, member] = [randomUUID(), randomUUID(), randomUUID()];
    const photo = Buffer.from('not really a jpeg');
    const result = await client.submit(receiver.domain, registration(formId, household, member), user(), [
      { name: 'photo.jpg', contentType: 'image/jpeg', data: photo },
    ]);
    expect(result.status).toBe(201);
    expect(result.body).toContain('<OpenRosaResponse xmlns="http://openrosa.org/http/response">');
    expect(result.body).toContain('nature="submit_success"');

    const form = await database.db.one<{
      event: { attachments: { name: string; blob_key: string }[]; case_ids: string[] };
    }>(`SELECT event FROM ${T.forms} WHERE form_id = $1`, [formId]);
    expect(form.event.case_ids).toEqual([household, member]);
    expect(form.event.attachments.map((a) => a.name)).toEqual(['form.xml', 'photo.jpg']);
    const photoBlob = await receiver.service.blobs.get(form.event.attachments[1]!.blob_key);
    expect(photoBlob).toEqual(photo);
    const xmlBlob = await receiver.service.blobs.get(form.event.attachments[0]!.blob_key);
    expect(xmlBlob?.toString()).toContain(formId);

    const memberCase = await caseRow(member);
    expect(memberCase).toMatchObject({ version: 1n, closed: false, deleted: false });
    expect(memberCase!.event.properties).toEqual({ age: '34' });
    const indices = await database.db.manyOrNone(
      `SELECT identifier, referenced_id FROM ${T.caseIndices} WHERE case_id = $1`,
      [member],
    );
    expect(indices).toEqual([{ identifier: 'parent', referenced_id: household }]);
    const outbox = [
      ...(await outboxRows(formId)),
      ...(await outboxRows(household)),
      ...(await outboxRows(member)),
    ];
    expect(outbox.map((r) => [r.topic, r.version])).toEqual([
      ['forms', 1n],
      ['cases', 1n],
      ['cases', 1n],
    ]);
  });

  it('saves a raw text/xml submission', async () => {
    const [formId, household, member] = [randomUUID(), randomUUID(), randomUUID()];
    const response = await post(`/a/${receiver.domain}/receiver`, {
      body: registration(formId, household, member),
      headers: { 'content-type': 'text/xml', ...basic(user().username, user().password) },
    });
    expect(response.status).toBe(201);
    expect(await formState(formId)).toEqual({ state: 'normal', version: 1n });
  });

  it('accepts an API key and refuses missing or wrong credentials and users of another domain', async () => {
    const body = () => registration(randomUUID(), randomUUID(), randomUUID());
    const url = `/a/${receiver.domain}/receiver`;
    const xml = { 'content-type': 'text/xml' };
    const none = await post(url, { body: body(), headers: xml });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(
      (await post(url, { body: body(), headers: { ...xml, ...basic(user().username, 'wrong') } })).status,
    ).toBe(401);
    const stranger = otherReceiver.users[0]!;
    expect(
      (
        await post(url, {
          body: body(),
          headers: {
            ...xml,
            ...basic(stranger.username + `@${otherReceiver.domain}.commcarehq.org`, stranger.password),
          },
        })
      ).status,
    ).toBe(403);
    const apiUser = receiver.users[1]!;
    const withKey = await post(url, {
      body: registration(randomUUID(), randomUUID(), randomUUID(), 'Bondo', apiUser.id),
      headers: { ...xml, authorization: `ApiKey ${apiUser.username}:${demoApiKey(apiUser)}` },
    });
    expect(withKey.status).toBe(201);
  });

  it('lets only users of the domain reach the endpoints mounted under it', async () => {
    const url = `/a/${receiver.domain}/hello`;
    expect((await post(url, { method: 'GET' })).status).toBe(401);
    const stranger = otherReceiver.users[0]!;
    const foreign = basic(`${stranger.username}@${otherReceiver.domain}.commcarehq.org`, stranger.password);
    expect((await post(url, { method: 'GET', headers: foreign })).status).toBe(403);
    const own = await post(url, { method: 'GET', headers: basic(user().username, user().password) });
    expect([own.status, own.body]).toEqual([200, 'hello']);
    expect(
      (
        await post(`/a/${receiver.domain}/nothing`, {
          method: 'GET',
          headers: basic(user().username, user().password),
        })
      ).status,
    ).toBe(404);
  });

  describe('refuses bad input with a clear error and writes nothing', () => {
    const cases: [
      string,
      () => { path?: string; body: string | Buffer; contentType?: string },
      number,
      RegExp,
    ][] = [
      ['malformed XML', () => ({ body: '<data xmlns="x">\n  <a></b>\n</data>' }), 400, /line 2, column \d+/],
      ['a form without xmlns', () => ({ body: '<data><a>1</a></data>' }), 422, /xmlns/],
      [
        'an unknown domain',
        () => ({ path: '/a/no-such-domain-here/receiver', body: update(randomUUID(), 'x', '<a>1</a>') }),
        404,
        /no-such-domain-here/,
      ],
      [
        'a body over the limit',
        () => ({ body: update(randomUUID(), 'x', `<a>${'x'.repeat(70 * 1024)}</a>`) }),
        413,
        /larger than/,
      ],
      [
        'an update of a missing case',
        () => ({ body: update(randomUUID(), 'missing-case-42', '<a>1</a>') }),
        422,
        /missing-case-42/,
      ],
      [
        'a DOCTYPE (entities are never resolved)',
        () => ({
          body: '<!DOCTYPE data [<!ENTITY e SYSTEM "file:///etc/passwd">]><data xmlns="x">&e;</data>',
        }),
        400,
        /DOCTYPE|doctype/,
      ],
      [
        'multipart without xml_submission_file',
        () => ({
          body: '--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n',
          contentType: 'multipart/form-data; boundary=b',
        }),
        400,
        /xml_submission_file/,
      ],
    ];
    for (const [what, make, status, message] of cases) {
      it(`${what} → ${status}`, async () => {
        const before = (await outboxRows()).length;
        const formsBefore = await database.db.one<{ n: bigint }>(
          `SELECT count(*) AS n FROM ${T.forms} WHERE domain = $1`,
          [receiver.domain],
        );
        const request = make();
        const response = await post(request.path ?? `/a/${receiver.domain}/receiver`, {
          body: request.body,
          headers: {
            'content-type': request.contentType ?? 'text/xml',
            ...basic(user().username, user().password),
          },
        });
        expect(response.status).toBe(status);
        expect(response.body).toMatch(message);
        expect((await outboxRows()).length).toBe(before);
        const formsAfter = await database.db.one<{ n: bigint }>(
          `SELECT count(*) AS n FROM ${T.forms} WHERE domain = $1`,
          [receiver.domain],
        );
        expect(formsAfter.n).toBe(formsBefore.n);
      });
    }

    it('a case block touching a case of another domain → 422 naming the case', async () => {
      const [formId, household, member] = [randomUUID(), randomUUID(), randomUUID()];
      const stranger = otherReceiver.users[0]!;
      const foreign = new SubmissionClient(otherReceiver.service.url, 1);
      expect(
        (
          await foreign.submit(
            otherReceiver.domain,
            registration(formId, household, member, 'Bondo', stranger.id),
            stranger,
          )
        ).status,
      ).toBe(201);
      foreign.close();
      const formBefore = (await outboxRows()).length;
      const response = await client.submit(
        receiver.domain,
        update(randomUUID(), member, '<age>35</age>'),
        user(),
      );
      expect(response.status).toBe(422);
      expect(response.body).toContain(member);
      expect((await outboxRows()).length).toBe(formBefore);
      expect((await caseRow(member))!.event.properties).toEqual({ age: '34' });
    });
  });

  it('acknowledges an identical resubmission without applying it twice', async () => {
    const [formId, household, member] = [randomUUID(), randomUUID(), randomUUID()];
    const xml = registration(formId, household, member);
    expect((await client.submit(receiver.domain, xml, user())).status).toBe(201);
    const again = await client.submit(receiver.domain, xml, user());
    expect(again.status).toBe(201);
    expect(again.body).toContain('already received');
    expect((await caseRow(member))!.version).toBe(1n);
    expect((await outboxRows(formId)).length).toBe(1);
  });

  it('treats a different body with a known instanceID as an edit: the old form deprecated, cases rebuilt', async () => {
    const [reg, household, member] = [randomUUID(), randomUUID(), randomUUID()];
    const visit = randomUUID();
    expect((await client.submit(receiver.domain, registration(reg, household, member), user())).status).toBe(
      201,
    );
    expect(
      (
        await client.submit(
          receiver.domain,
          update(visit, member, '<age>35</age><weight>60</weight>'),
          user(),
        )
      ).status,
    ).toBe(201);
    expect((await caseRow(member))!.event.properties).toEqual({ age: '35', weight: '60' });

    const edited = await client.submit(receiver.domain, update(visit, member, '<age>36</age>'), user());
    expect(edited.status).toBe(201);
    expect(edited.body).toContain('edited');
    const rebuilt = await caseRow(member);
    // Rebuilt from the registration and the edited visit only: the old visit's weight is gone.
    expect(rebuilt!.event.properties).toEqual({ age: '36' });
    expect(rebuilt!.version).toBe(3n);
    expect(await formState(visit)).toEqual({ state: 'normal', version: 2n });
    const deprecated = await database.db.manyOrNone(`SELECT state FROM ${T.forms} WHERE orig_id = $1`, [
      visit,
    ]);
    expect(deprecated).toEqual([{ state: 'deprecated' }]);
    expect((await outboxRows(visit)).map((r) => r.version)).toEqual([1n, 2n]);
    expect((await outboxRows(member)).map((r) => r.version)).toEqual([1n, 2n, 3n]);
  });

  it('archives and unarchives a form, rebuilding the cases it touched each time', async () => {
    const [reg, household, member] = [randomUUID(), randomUUID(), randomUUID()];
    const visit = randomUUID();
    const close = randomUUID();
    expect((await client.submit(receiver.domain, registration(reg, household, member), user())).status).toBe(
      201,
    );
    expect(
      (await client.submit(receiver.domain, update(visit, member, '<age>40</age>'), user())).status,
    ).toBe(201);
    expect(
      (
        await client.submit(
          receiver.domain,
          update(close, member, '<reason>moved</reason>', '<close/>'),
          user(),
        )
      ).status,
    ).toBe(201);
    expect((await caseRow(member))!.closed).toBe(true);

    const auth = basic(user().username, user().password);
    const archived = await post(`/a/${receiver.domain}/forms/${close}/archive`, { headers: auth });
    expect(archived.status).toBe(200);
    expect(await formState(close)).toMatchObject({ state: 'archived' });
    const reopened = await caseRow(member);
    expect(reopened).toMatchObject({ closed: false, deleted: false });
    expect(reopened!.event.properties).toEqual({ age: '40' });

    expect((await post(`/a/${receiver.domain}/forms/${reg}/archive`, { headers: auth })).status).toBe(200);
    // Nothing creates the member any more: it becomes a deleted case, and so does the household.
    expect(await caseRow(member)).toMatchObject({ deleted: true });
    expect(await caseRow(household)).toMatchObject({ deleted: true });

    expect((await post(`/a/${receiver.domain}/forms/${reg}/unarchive`, { headers: auth })).status).toBe(200);
    expect((await post(`/a/${receiver.domain}/forms/${close}/unarchive`, { headers: auth })).status).toBe(
      200,
    );
    const restored = await caseRow(member);
    expect(restored).toMatchObject({ deleted: false, closed: true });
    expect(restored!.event.properties).toEqual({ age: '40', reason: 'moved' });
    const versions = (await outboxRows(member)).map((r) => Number(r.version));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(
      (await post(`/a/${receiver.domain}/forms/${randomUUID()}/archive`, { headers: auth })).status,
    ).toBe(404);
  });
});
