/**
 * Submissions in CommCare's shapes through the real receiver and primary store: what CommCare keeps
 * of a case block, the forms it accepts (legacy ids, no id, short offsets) and the ones it refuses.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { testDatabase } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
let receiver: TestReceiver;

beforeAll(async () => {
  receiver = await startTestReceiver(names);
});

afterAll(async () => {
  await receiver.close();
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  await database.close();
});

const v2 = 'http://commcarehq.org/case/transaction/v2';

async function submit(xml: string): Promise<{ status: number; body: string }> {
  const user = receiver.users[0]!;
  const response = await fetch(`${receiver.service.url}/a/${receiver.domain}/receiver`, {
    method: 'POST',
    headers: {
      'content-type': 'text/xml',
      authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
    },
    body: xml,
  });
  return { status: response.status, body: await response.text() };
}

interface CaseEvent {
  name: string | null;
  case_type: string;
  owner_id: string;
  external_id: string | null;
  opened_on: number;
  opened_by: string | null;
  modified_on: number;
  modified_by: string | null;
  properties: Record<string, string>;
}
const caseEvent = async (caseId: string) =>
  (
    await database.db.oneOrNone<{ event: CaseEvent }>(`SELECT event FROM ${T.cases} WHERE case_id = $1`, [
      caseId,
    ])
  )?.event ?? null;
const formRow = async (formId: string) =>
  database.db.oneOrNone<{ form_id: string; event: { form: Record<string, unknown> } }>(
    `SELECT form_id, event FROM ${T.forms} WHERE form_id = $1`,
    [formId],
  );
const formIdOf = (body: string) => /Form (\S+) received/.exec(body)?.[1];

describe('case blocks as CommCare keeps them', () => {
  it("keeps a create block's external_id, user_id and date_opened (casexml's basic create)", async () => {
    const caseId = randomUUID();
    const response = await submit(`<data xmlns="urn:test:create">
  <case xmlns="${v2}" case_id="${caseId}" date_modified="2011-12-06T13:42:50">
    <create><case_type>v2_case_type</case_type><case_name>test case name</case_name><owner_id>owner-1</owner_id>
      <external_id>ext-7</external_id><user_id>bar-user-id</user_id><date_opened>2011-12-01</date_opened></create>
  </case>
  <meta xmlns="http://openrosa.org/jr/xforms"><instanceID>${randomUUID()}</instanceID></meta>
</data>`);
    expect(response.status).toBe(201);
    const event = await caseEvent(caseId);
    expect(event).toMatchObject({
      case_type: 'v2_case_type',
      name: 'test case name',
      owner_id: 'owner-1',
      external_id: 'ext-7',
      modified_by: 'bar-user-id',
      opened_on: Date.UTC(2011, 11, 1),
      modified_on: Date.UTC(2011, 11, 6, 13, 42, 50),
    });
  });

  it('reads a date_modified with a short offset (CommCare sample form) and converts it to UTC', async () => {
    const caseId = randomUUID();
    const response = await submit(`<data xmlns="urn:test:offset">
  <case xmlns="${v2}" case_id="${caseId}" date_modified="2013-04-19T16:53:02.799-04" user_id="u-1">
    <create><case_type>t</case_type><case_name>n</case_name><owner_id>o</owner_id></create>
    <update><visit_time>2013-04-19T16:53:02.799-04</visit_time><visit_date>2013-04-19</visit_date></update>
  </case>
  <meta xmlns="http://openrosa.org/jr/xforms"><instanceID>${randomUUID()}</instanceID></meta>
</data>`);
    expect(response.status).toBe(201);
    const event = (await caseEvent(caseId))!;
    expect(event.modified_on).toBe(Date.UTC(2013, 3, 19, 20, 53, 2, 799));
    expect(event.properties).toEqual({ visit_time: '2013-04-19T20:53:02.799000Z', visit_date: '2013-04-19' });
  });

  it('refuses a CommCare 1.x case block with a 422 that says why, and writes nothing', async () => {
    const formId = randomUUID();
    const caseId = randomUUID();
    const response = await submit(`<data xmlns="urn:test:v1">
  <case><case_id>${caseId}</case_id><date_modified>2010-01-01</date_modified>
    <create><case_type_id>t</case_type_id><case_name>n</case_name></create></case>
  <meta xmlns="http://openrosa.org/jr/xforms"><instanceID>${formId}</instanceID></meta>
</data>`);
    expect(response.status).toBe(422);
    expect(response.body).toMatch(/CommCare 1\.x case block \(no xmlns\)/);
    expect(await formRow(formId)).toBeNull();
    expect(await caseEvent(caseId)).toBeNull();
  });
});

describe('form ids and form JSON as CommCare makes them', () => {
  it('accepts a form without any instance id under a new UUID', async () => {
    const response = await submit('<data xmlns="urn:test:noid"><q>1</q></data>');
    expect(response.status).toBe(201);
    const formId = formIdOf(response.body)!;
    expect(formId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await formRow(formId))!.event.form).toMatchObject({ q: '1', '#type': 'data' });
  });

  it('takes the id of a legacy form from Meta/uid', async () => {
    const uid = `bhoma-${randomUUID()}`;
    // chw_id becomes meta/userID, which must name the submitting user (authorship).
    const chw = receiver.users[0]!.id;
    const response = await submit(
      `<data xmlns="urn:test:legacy"><Meta><uid>${uid}</uid><chw_id>${chw}</chw_id></Meta></data>`,
    );
    expect(response.status).toBe(201);
    expect(formIdOf(response.body)).toBe(uid);
    expect((await formRow(uid))!.event.form.meta).toEqual({ instanceID: uid, userID: chw });
  });

  it('keeps a uuid: prefix and a single repeat as an object, with adjusted datetimes', async () => {
    const formId = `uuid:${randomUUID()}`;
    const response = await submit(`<data xmlns="urn:test:json" version="2"><child><name>Asha</name></child>
  <meta xmlns="http://openrosa.org/jr/xforms"><instanceID>${formId}</instanceID><timeEnd>2013-04-19T16:53:02.799-04</timeEnd></meta></data>`);
    expect(response.status).toBe(201);
    const form = (await formRow(formId))!.event.form;
    expect(form).toMatchObject({
      '#type': 'data',
      '@xmlns': 'urn:test:json',
      '@version': '2',
      child: { name: 'Asha' },
      meta: {
        '@xmlns': 'http://openrosa.org/jr/xforms',
        instanceID: formId,
        timeEnd: '2013-04-19T20:53:02.799000Z',
      },
    });
  });
});
