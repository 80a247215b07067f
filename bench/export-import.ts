/** Case import throughput for the export scenario: a csv of new cases, imported by the task in this process. */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { readEndpoints } from '../connectors/endpoints.js';
import { ensureBucket } from '../connectors/blob/s3-multipart-upload.js';
import { ensureOutboxTable } from '../connectors/outbox/outbox-table.js';
import { openTaskServices } from '../server/index.js';
import { runImportTask } from '../server/imports/import-task.js';
import { createLogger } from '../runtime/telemetry/logger.js';

export async function benchCaseImport(
  rows: number,
  domain: string,
  prefix: string,
): Promise<{ rowsPerSecond: number }> {
  const tasks = await openTaskServices({
    endpoints: readEndpoints(),
    logger: createLogger({ level: 'warn' }),
    prefix,
    exportsFolder: tmpdir(),
    exportsDatabase: 'commcarehq',
    usersDatabase: 'commcarehq__users',
    mainDatabase: 'commcarehq',
  });
  const table = 'tributary_bench_import_outbox';
  try {
    await ensureOutboxTable(tasks.db, table);
    const csv = [
      'external_id,name,village',
      ...Array.from({ length: rows }, (_, i) => `ext-${i},Imported ${i},Village ${i % 13}`),
    ].join('\r\n');
    const taskId = randomUUID();
    const fileKey = `bench/${taskId}.csv`;
    await ensureBucket(tasks.s3, tasks.bucket, tasks.region);
    await tasks.s3.putObject(tasks.bucket, fileKey, Buffer.from(csv));
    await tasks.status.create(taskId, 'case-import', domain);
    const started = performance.now();
    await runImportTask(
      {
        taskId,
        domain,
        user: { id: 'bench-user', username: 'bench' },
        fileKey,
        fileName: 'bench.csv',
        caseType: 'household',
        mapping: { name: 'name', village: 'village' },
        searchColumn: 'external_id',
        searchField: 'external_id',
        createNewCases: true,
        submittedAt: new Date().toISOString(),
        outbox: { table, channel: table, topics: { forms: 'forms', cases: 'cases' } },
      },
      tasks,
      new AbortController().signal,
    );
    const rowsPerSecond = rows / ((performance.now() - started) / 1000);
    await tasks.db.none(`DELETE FROM tributary_store.forms WHERE domain = $1`, [domain]);
    await tasks.db.none(`DROP TABLE IF EXISTS ${table}`);
    return { rowsPerSecond };
  } finally {
    await tasks.close();
  }
}
