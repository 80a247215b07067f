/**
 * `tributary demo`: brings the local stack up and shows what Tributary sees of it. Later issues
 * extend it to run the submission → Kafka → UCR flow end to end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readEndpoints } from '../connectors/endpoints.js';
import { probeEndpoints } from './probe-endpoints.js';
import { formatProbeTable } from './format.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export async function demo(): Promise<number> {
  const stackScript = `${repoRoot}deploy/local/stack.sh`;
  if ((process.env.TRIBUTARY_STACK ?? 'local') === 'local' && existsSync(stackScript)) {
    console.log('Bringing the local stack up (first run installs the servers; later runs take seconds)…');
    const up = spawnSync('bash', [stackScript, 'up'], { stdio: 'inherit' });
    if (up.status !== 0) {
      console.error('The local stack did not come up; the lines above name the service and its log file.');
      return 1;
    }
  }
  const results = await probeEndpoints(readEndpoints());
  console.log('\nWhat Tributary sees, through the clients its pipelines use:\n');
  console.log(formatProbeTable(results));
  const healthy = results.every((r) => r.ok);
  console.log(`
${healthy ? 'Every service answers.' : 'Some services do not answer: see the table above.'}

Next, as the pipeline issues land, this demo will:
  1. submit XForms from a sample CommCare application to the receiver (POST /a/demo/receiver);
  2. show forms and cases saved in PostgreSQL and published, Avro-encoded, to the forms and cases topics;
  3. run the UCR pipeline and print the report rows it materialised in PostgreSQL;
  4. index the same documents into the search server and export a report to the blob store.

Try now: npm run stack:status · npm test · npx tributary check`);
  return healthy ? 0 : 1;
}
