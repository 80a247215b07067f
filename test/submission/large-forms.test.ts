/**
 * Every acknowledged form reaches every view, however large: a 1.5 MB form (its question tree
 * carried beside its event in the blob store) and a 40 MB form (a 40 MB attachment) go through the
 * real receiver, the relay, Kafka and the UCR pipeline into the shipped `visit_medications` table,
 * from a receiver with each blob store (a folder and the S3-API server) into one outbox. A form
 * whose event would still be over what the topic accepts is refused with 413, leaving nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSubmissions } from '../../cli/demo-application.js';
import { registry } from '../../cli/registry.js';
import { SubmissionClient } from '../../cli/submission-client.js';
import type { PipelineHost } from '../../cli/pipeline-host.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { primaryStoreTables as T } from '../../connectors/postgres/primary-store.js';
import { formSchema } from '../../schemas/generated/index.js';
import { eventually, planOf, startPipelines, testDatabase } from '../support/pipeline-fixtures.js';
import { startTestReceiver, type TestReceiver } from '../support/receiver-fixtures.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const database = await testDatabase();
const repoRoot = new URL('../..', import.meta.url).pathname;
const configDir = mkdtempSync(join(tmpdir(), 'tributary-large-forms-'));
const formsTopic = names.topic('forms');
const receivers: Record<'folder' | 's3', TestReceiver> = {} as never;
let host: PipelineHost;

beforeAll(async () => {
  // One domain and one outbox, a receiver per blob store.
  for (const blobs of ['folder', 's3'] as const)
    receivers[blobs] = await startTestReceiver(names, { blobs, users: 2, maxBodyBytes: 50 * 1024 * 1024 });
  const domain = receivers.folder.domain;
  mkdirSync(configDir, { recursive: true });
  for (const file of readdirSync(join(repoRoot, 'pipelines/ucr')).filter((f) => f.endsWith('.json'))) {
    const config = JSON.parse(readFileSync(join(repoRoot, 'pipelines/ucr', file), 'utf8')) as object;
    writeFileSync(join(configDir, file), JSON.stringify({ ...config, domain }));
  }
  const cases = names.topic('cases');
  const relay = planOf(
    `
name: ${names.id}_relay
source: { type: outbox, table: ${receivers.folder.outboxTable}, channel: ${receivers.folder.outboxChannel} }
sinks:
  topics:
    type: kafka
    topic: ${formsTopic}
    partitions: 2
    value: { format: avro, schemaOf: forms }
    routes:
      forms: { topic: '${formsTopic}', value: { format: avro, schemaOf: forms } }
      cases: { topic: '${cases}', value: { format: avro, schemaOf: cases } }
`,
    registry,
  );
  const ucrYaml = readFileSync(join(repoRoot, 'pipelines/examples/ucr-to-postgres.yaml'), 'utf8')
    .replace(/^name: .*$/m, `name: ${names.id}_ucr`)
    .replace('topics: [forms, cases]', `topics: ['${formsTopic}', '${cases}']`);
  host = await startPipelines([relay, planOf(ucrYaml, registry, { UCR_CONFIG_FOLDER: configDir })]);
}, 180_000);

afterAll(async () => {
  await host?.stop();
  for (const receiver of Object.values(receivers)) await receiver.close();
  await database.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [names.pgSchema()]);
  rmSync(configDir, { recursive: true, force: true });
  await database.close();
});

/** A follow-up visit of `memberId` with `count` medications, in the shape of the demo application. */
function followUp(formId: string, userId: string, memberId: string, count: number): string {
  const medication = (i: number) =>
    `<medication><name>med-${String(i).padStart(6, '0')}</name><dose_mg>250</dose_mg><taken>yes</taken></medication>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<data xmlns="http://tributary.dev/demo/followup-visit" name="Follow-up visit">
  <visit_date>2026-10-05</visit_date>
  <temperature>37.1</temperature>
  <medications>${Array.from({ length: count }, (_, i) => medication(i)).join('\n')}</medications>
  <case xmlns="http://commcarehq.org/case/transaction/v2" case_id="${memberId}" date_modified="2026-10-05T08:00:00Z" user_id="${userId}">
    <update><last_visit_date>2026-10-05</last_visit_date></update>
  </case>
  <n0:meta xmlns:n0="http://openrosa.org/jr/xforms">
    <n0:timeEnd>2026-10-05T08:00:00Z</n0:timeEnd>
    <n0:userID>${userId}</n0:userID>
    <n0:instanceID>${formId}</n0:instanceID>
  </n0:meta>
</data>
`;
}

/** Registers a household through `receiver` and answers one of its member case ids. */
async function registeredMember(receiver: TestReceiver, client: SubmissionClient): Promise<string> {
  const registration = generateSubmissions({
    domain: receiver.domain,
    users: receiver.users,
    seed: 11,
  }).next().value;
  const user = receiver.users.find((u) => u.id === registration.user.id)!;
  expect((await client.submit(receiver.domain, registration.xml, user)).status).toBe(201);
  return registration.caseIds[1]!;
}

async function medicationRows(formId: string): Promise<number> {
  const view = `"tributary_ucr"."${receivers.folder.domain}_visit_medications"`;
  const row = await database.db
    .one<{ n: bigint }>(`SELECT count(*) AS n FROM ${view} WHERE doc_id = $1`, [formId])
    .catch(() => ({ n: -1n }));
  return Number(row.n);
}

/** The form's events on the topic, decoded with the Form schema, with their sizes. */
async function formEventsOnTopic(
  formId: string,
): Promise<{ bytes: number; value: Record<string, unknown> }[]> {
  const type = avro.Type.forSchema(formSchema as unknown as avro.Schema);
  const consumer = new Kafka({
    brokers: [...readEndpoints().KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  }).consumer({
    groupId: `${formsTopic}.reader.${randomUUID()}`,
  });
  const found: { bytes: number; value: Record<string, unknown> }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: formsTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        if (message.key?.toString() === formId)
          found.push({
            bytes: message.value!.length,
            value: type.fromBuffer(message.value!.subarray(5)) as Record<string, unknown>,
          });
        return Promise.resolve();
      },
    });
    await eventually(() => Promise.resolve(found.length > 0), 60_000, 200);
  } finally {
    await consumer.disconnect();
  }
  return found;
}

describe.each(['folder', 's3'] as const)('large forms through the %s blob store', (blobs) => {
  it(
    'a 1.5 MB form reaches the UCR table, its body beside a small event on the topic',
    { timeout: 240_000 },
    async () => {
      const receiver = receivers[blobs];
      const client = new SubmissionClient(receiver.service.url, 2);
      const member = await registeredMember(receiver, client);
      const user = receiver.users[0]!;
      const formId = randomUUID();
      const xml = followUp(formId, user.id, member, 18_000);
      expect(Buffer.byteLength(xml)).toBeGreaterThan(1.5 * 1024 * 1024);

      const response = await client.submit(receiver.domain, xml, user);
      client.close();
      expect(response.status, response.body).toBe(201);

      expect(await eventually(async () => (await medicationRows(formId)) === 18_000, 180_000, 1_000)).toBe(
        true,
      );
      const [event] = await formEventsOnTopic(formId);
      expect(event!.bytes).toBeLessThan(16 * 1024);
      expect(event!.value).toMatchObject({
        form: {},
        form_body_url: expect.stringMatching(blobs === 's3' ? /^s3:\/\// : /^file:\/\//) as unknown,
        user_id: user.id,
        auth_user_id: user.id,
        auth_method: 'basic',
      });
      // The primary store keeps the whole form.
      const stored = await database.db.one<{ event: { form: { medications: { medication: unknown[] } } } }>(
        `SELECT event FROM ${T.forms} WHERE form_id = $1`,
        [formId],
      );
      expect(stored.event.form.medications.medication).toHaveLength(18_000);
    },
  );

  it('a 40 MB form with its attachment reaches the UCR table', { timeout: 240_000 }, async () => {
    const receiver = receivers[blobs];
    const client = new SubmissionClient(receiver.service.url, 2);
    const member = await registeredMember(receiver, client);
    const user = receiver.users[0]!;
    const formId = randomUUID();
    const photo = Buffer.alloc(40 * 1024 * 1024, 0xab);
    const response = await client.submit(receiver.domain, followUp(formId, user.id, member, 3), user, [
      { name: 'photo.jpg', contentType: 'image/jpeg', data: photo },
    ]);
    client.close();
    expect(response.status, response.body).toBe(201);
    expect(await eventually(async () => (await medicationRows(formId)) === 3, 180_000, 1_000)).toBe(true);
    const stored = await database.db.one<{ event: { attachments: { name: string; blob_key: string }[] } }>(
      `SELECT event FROM ${T.forms} WHERE form_id = $1`,
      [formId],
    );
    const attachment = stored.event.attachments.find((a) => a.name === 'photo.jpg')!;
    expect((await receiver.service.blobs.get(attachment.blob_key))?.equals(photo)).toBe(true);
  });
});

describe('a form whose event would still be too large', () => {
  it('is refused with 413 before anything is saved or written to the blob store', async () => {
    const receiver = receivers.folder;
    const user = receiver.users[0]!;
    const formId = randomUUID();
    const client = new SubmissionClient(receiver.service.url, 1);
    // 6,000 attachments: their list alone makes the event larger than the topic's 1 MiB.
    const attachments = Array.from({ length: 6_000 }, (_, i) => ({
      name: `attachment-${String(i).padStart(5, '0')}-${'x'.repeat(100)}.bin`,
      contentType: 'application/octet-stream',
      data: Buffer.from([i % 256]),
    }));
    const response = await client.submit(
      receiver.domain,
      followUp(formId, user.id, 'no-case', 0),
      user,
      attachments,
    );
    client.close();
    expect(response.status).toBe(413);
    expect(response.body).toMatch(
      /change event of form .* would be \d+ bytes; its topic accepts at most \d+/,
    );
    expect(await database.db.oneOrNone(`SELECT 1 FROM ${T.forms} WHERE form_id = $1`, [formId])).toBeNull();
    expect(
      readdirSync(receiver.blobDir).flatMap((domain) => readdirSync(join(receiver.blobDir, domain))),
    ).not.toContain(formId);
  });
});
