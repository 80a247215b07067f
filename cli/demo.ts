/**
 * `tributary demo`: brings the local stack up, registers the topic schemas, publishes a few case
 * changes as Avro, runs the shipped cases-to-postgres pipeline until the table is current, and
 * shows the rows. Later issues extend it to the submission → UCR flow.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createAvroSerde } from '../connectors/kafka/avro-serde.js';
import { defaultKafkaLibrary, kafkaClient, kafkaProducer } from '../connectors/kafka/kafka-resources.js';
import { SchemaRegistryClient } from '../connectors/kafka/schema-registry-client.js';
import { readEndpoints } from '../connectors/endpoints.js';
import { postgresPool } from '../connectors/postgres/postgres-pool.js';
import { loadPipelineFile } from '../runtime/config/index.js';
import { ResourcePool } from '../runtime/engine/resources.js';
import { createLogger } from '../runtime/telemetry/logger.js';
import { caseSchema } from '../schemas/generated/index.js';
import { loadSchemaCatalog } from '../schemas/tools/schema-catalog.js';
import { registerSchemas } from '../schemas/tools/schema-register.js';
import { demoCases } from './demo-cases.js';
import { formatProbeTable, formatTable } from './format.js';
import { PipelineHost } from './pipeline-host.js';
import { probeEndpoints } from './probe-endpoints.js';
import { registry } from './registry.js';
import { declaredTopics, ensureTopics } from './topics.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const pipelineFile = `${repoRoot}pipelines/examples/cases-to-postgres.yaml`;
const table = 'tributary_views.cases';

export async function demo(): Promise<number> {
  const stackScript = `${repoRoot}deploy/local/stack.sh`;
  if ((process.env.TRIBUTARY_STACK ?? 'local') === 'local' && existsSync(stackScript)) {
    console.log(
      '1. Bringing the local stack up (the first run installs the servers; later runs take seconds)…',
    );
    const up = spawnSync('bash', [stackScript, 'up'], { stdio: 'inherit' });
    if (up.status !== 0) {
      console.error('The local stack did not come up; the lines above name the service and its log file.');
      return 1;
    }
  }
  const endpoints = readEndpoints();
  const results = await probeEndpoints(endpoints);
  console.log('\n2. What Tributary sees, through the clients its pipelines use:\n');
  console.log(formatProbeTable(results));
  if (!results.every((r) => r.ok)) {
    console.error('\nSome services do not answer: see the table above.');
    return 1;
  }

  const schemaRegistry = new SchemaRegistryClient({ url: endpoints.SCHEMA_REGISTRY_URL });
  const outcomes = await registerSchemas(await loadSchemaCatalog(), schemaRegistry);
  console.log('\n3. Topic schemas in the registry (tributary schemas register):\n');
  console.log(
    formatTable(
      ['SUBJECT', 'STATUS', 'ID', 'COMPATIBILITY'],
      outcomes.map((o) => [o.subject, o.status, String('id' in o ? (o.id ?? '') : ''), o.compatibility]),
    ),
  );
  if (outcomes.some((o) => o.status !== 'new' && o.status !== 'existing')) return 1;

  const loaded = await loadPipelineFile(pipelineFile, registry);
  if (!loaded.ok) throw new Error(`the shipped pipeline ${pipelineFile} is invalid`);
  const resources = new ResourcePool();
  const brokers = [...endpoints.KAFKA_BROKERS];
  const host = new PipelineHost(createLogger({ level: 'warn' }), { defaultMetrics: false });
  try {
    const admin = await (await kafkaClient(resources, defaultKafkaLibrary, brokers)).admin();
    await ensureTopics(admin, declaredTopics(loaded.plan)).finally(() => admin.close());
    const cases = demoCases(24);
    const serde = createAvroSerde({ subject: 'cases-value', schema: caseSchema }, schemaRegistry);
    const producer = await kafkaProducer(resources, defaultKafkaLibrary, brokers);
    await producer.send(
      'cases',
      await Promise.all(cases.map(async (c) => ({ key: c.doc_id, value: await serde.encode(c) }))),
    );
    console.log(
      `\n4. Published ${cases.length} case changes (${cases.length / 2} cases, 2 versions each) to the cases topic as Avro.`,
    );

    console.log(`\n5. Running pipelines/examples/cases-to-postgres.yaml until ${table} is current…`);
    await host.start([loaded.plan]);
    const db = await postgresPool(resources, endpoints.DATABASE_URL);
    const deadline = Date.now() + 60_000;
    let rows: { case_id: string; version: bigint; case_type: string; name: string; closed: boolean }[] = [];
    while (Date.now() < deadline) {
      rows = await db
        .any<(typeof rows)[number]>(
          `SELECT case_id, version, doc->>'case_type' AS case_type, doc->>'name' AS name, (doc->>'closed')::boolean AS closed
           FROM ${table} WHERE case_id LIKE 'demo-case-%' ORDER BY case_id`,
        )
        .catch(() => []);
      if (rows.length === cases.length / 2 && rows.every((r) => r.version === 2n)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log(
      `\n${formatTable(
        ['CASE', 'VERSION', 'TYPE', 'NAME', 'CLOSED'],
        rows.slice(0, 8).map((r) => [r.case_id, String(r.version), r.case_type, r.name, String(r.closed)]),
      )}`,
    );
    console.log(`… ${rows.length} rows in ${table}, every one at its latest version.`);
  } finally {
    await host.stop();
    await resources.close();
  }
  console.log(`
Next steps:
  npm run tributary -- status pipelines/examples/cases-to-postgres.yaml   consumer group, lag, dead letters
  npm run tributary -- docs                                              every component and its options
  npm test                                                               the whole suite against the real stack

As the next issues land, this demo will submit XForms to the receiver (POST /a/demo/receiver), show the
forms and cases they produce, and print the report rows the UCR pipeline materialises.`);
  return 0;
}
