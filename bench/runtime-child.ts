/**
 * One run of the `runtime` scenario, bare loop or pipeline, in a process of its own so that
 * `node --cpu-prof` profiles nothing else: reads a ChildRequest (JSON) from argv, runs until every
 * record is done, prints a ChildReport (JSON) on stdout. Started by bench/runtime.ts.
 */
import pg from 'pg';
import { readEndpoints } from '../connectors/endpoints.js';
import { createKafkaClient } from '../connectors/kafka/create-kafka-client.js';
import {
  defaultDelivery,
  pipelineYaml,
  runBare,
  runPipeline,
  type ChildReport,
  type ChildRequest,
} from './runtime.js';

const request = JSON.parse(process.argv[2] ?? '') as ChildRequest;
const { setup, kind, library, side, name, table } = request;
let report: ChildReport;
if (side === 'pipeline') {
  report = { timing: await runPipeline(pipelineYaml(setup, kind, library, name, table), setup.records) };
} else {
  const endpoints = readEndpoints();
  const client = createKafkaClient(library, {
    brokers: [...endpoints.KAFKA_BROKERS],
    clientId: 'tributary-bench',
  });
  const pool = new pg.Pool({ connectionString: endpoints.DATABASE_URL, max: 10 });
  try {
    report = {
      timing: await runBare(kind, { setup, client, delivery: defaultDelivery(setup), pool }, name, table),
    };
  } finally {
    await pool.end();
  }
}
process.stdout.write(`${JSON.stringify(report)}\n`);
