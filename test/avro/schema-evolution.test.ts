import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { householdMemberCase } from '../../bench/documents.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { createAvroSerde } from '../../connectors/kafka/avro-serde.js';
import { SchemaRegistryClient } from '../../connectors/kafka/schema-registry-client.js';
import { caseSchema } from '../../schemas/generated/index.js';
import { defaultSchemasDir, formatProblem, loadSchemaCatalog } from '../../schemas/schema-catalog.js';
import { checkSchemas } from '../../schemas/tools/schema-check.js';
import { registerSchemas, registryText } from '../../schemas/tools/schema-register.js';
import { schemaTestFolder, type SchemaTestFolder } from '../../schemas/tools/schema-test-folder.js';
import { testNames } from '../support/resources.js';

const names = testNames(import.meta.url);
const registry = new SchemaRegistryClient({ url: readEndpoints().SCHEMA_REGISTRY_URL });

type CaseSchema = { fields: { name: string; type: unknown; doc: string }[] } & Record<string, unknown>;
let caseV1: CaseSchema;
let caseV2: CaseSchema;
/** v3 adds a required field without a default: records written with v1 or v2 cannot be read with it. */
let caseV3: CaseSchema;
let folder: SchemaTestFolder;

beforeAll(async () => {
  const dir = join(defaultSchemasDir(), 'case');
  caseV1 = JSON.parse(await readFile(join(dir, 'v1.avsc'), 'utf8')) as CaseSchema;
  caseV2 = JSON.parse(await readFile(join(dir, 'v2.avsc'), 'utf8')) as CaseSchema;
  caseV3 = {
    ...caseV2,
    fields: [...caseV2.fields, { name: 'priority', type: 'int', doc: 'Visit priority, 1 (highest) to 5.' }],
  };
  folder = await schemaTestFolder({
    'topics.yaml': 'topics:\n  cases:\n    schema: case\n',
    'case/v1.avsc': caseV1,
    'case/v2.avsc': caseV2,
    'case/v3.avsc': caseV3,
  });
});
afterAll(() => folder.remove());

const v2Case = householdMemberCase(3);
const { closed_by: _closedBy, change_source: _changeSource, ...v1Case } = v2Case;

describe('schema evolution', () => {
  it('reads a record written with case v1 as v2 through the registry, the new fields at their defaults', async () => {
    const subject = names.valueSubject(names.topic('cases'));
    await registry.setCompatibility(subject, 'BACKWARD_TRANSITIVE');
    const oldProducer = createAvroSerde({ subject, schema: caseV1 }, registry);
    const written = await oldProducer.encode(v1Case);

    const producer = createAvroSerde({ subject, schema: caseSchema }, registry);
    const writtenV2 = await producer.encode(v2Case);
    expect(writtenV2.readInt32BE(1)).not.toBe(written.readInt32BE(1));

    const consumer = createAvroSerde(
      { subject, schema: caseSchema },
      new SchemaRegistryClient({ url: registry.url }),
    );
    expect(await consumer.decode(written)).toEqual({ ...v1Case, closed_by: null, change_source: 'form' });
    expect(await consumer.decode(writtenV2)).toEqual(v2Case);
  });

  it('refuses an incompatible v3 offline, naming the field and the versions', async () => {
    const problems = checkSchemas(await loadSchemaCatalog(folder.dir)).map(formatProblem);
    expect(problems).toEqual([
      expect.stringMatching(
        /case\/v3\.avsc: field priority: added without a default.*v3 cannot read data written with v1/,
      ),
      expect.stringMatching(
        /case\/v3\.avsc: field priority: added without a default.*v3 cannot read data written with v2/,
      ),
    ]);
  });

  it('is refused by the registry at register, and reported as refused by a dry run first', async () => {
    const prefix = names.topic('evolution-');
    const subject = `${prefix}cases-value`;
    await registry.setCompatibility(subject, 'BACKWARD_TRANSITIVE');
    await registry.registerSchema(subject, registryText(caseV1));
    await registry.registerSchema(subject, registryText(caseV2));
    const catalog = await loadSchemaCatalog(folder.dir);

    const [dryRun] = await registerSchemas(catalog, registry, { topicPrefix: prefix, dryRun: true });
    expect(dryRun).toMatchObject({ subject, status: 'refused' });

    const [outcome] = await registerSchemas(catalog, registry, { topicPrefix: prefix });
    expect(outcome).toMatchObject({
      subject,
      status: 'refused',
      file: expect.stringMatching(/case\/v3\.avsc$/) as unknown,
    });
    expect(outcome!.error).toMatch(/409/);
    expect(await registry.lookupSchema(subject, registryText(caseV3))).toBeUndefined();
  });
});
