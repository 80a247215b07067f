/**
 * The demo's export step: a worker in this process, an export of the demo's follow-up visits started
 * over HTTP as a user would (its progress printed as it runs), the file downloaded and its rows
 * counted per sheet, and the pages to open.
 */
import { unzipSync, strFromU8 } from 'fflate';
import type { DemoUser } from './demo-application.js';
import { openTaskServices, startTaskWorkers } from '../server/index.js';
import type { Endpoints } from '../connectors/endpoints.js';
import type { Logger } from '../runtime/contract/index.js';
import { taskSettings } from './commands/worker.js';

/** Rows per sheet of an xlsx file (header excluded), by sheet name. */
export function xlsxRowCounts(file: Uint8Array): Record<string, number> {
  const files = unzipSync(file);
  const names = [...strFromU8(files['xl/workbook.xml']!).matchAll(/<sheet name="([^"]*)"/g)].map(
    (m) => m[1]!,
  );
  return Object.fromEntries(
    names.map((name, i) => {
      const xml = files[`xl/worksheets/sheet${i + 1}.xml`];
      const rows = xml ? (strFromU8(xml).match(/<row /g) ?? []).length - 1 : 0;
      return [name, rows];
    }),
  );
}

export async function demoExports(options: {
  serverUrl: string;
  endpoints: Endpoints;
  logger: Logger;
  domain: string;
  user: DemoUser;
  step: number;
}): Promise<void> {
  const { serverUrl, domain, user } = options;
  const tasks = await openTaskServices({
    ...taskSettings(),
    endpoints: options.endpoints,
    logger: options.logger,
  });
  const workers = startTaskWorkers(tasks, {
    queues: ['exports', 'imports'],
    concurrency: 2,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    pageSize: 1000,
    partBytes: 8 * 1024 * 1024,
  });
  const headers = {
    authorization: `Basic ${Buffer.from(`${user.username}@${domain}.commcarehq.org:${user.password}`).toString('base64')}`,
  };
  try {
    console.log(
      `\n${options.step}. An export in the background (pipelines/exports/followup-visits.json), started over HTTP and polled like the page does:\n`,
    );
    const started = await fetch(`${serverUrl}/a/${domain}/exports/followup-visits/start`, {
      method: 'POST',
      headers,
    });
    const { task_id: taskId } = (await started.json()) as { task_id: string };
    let last = '';
    for (;;) {
      const status = (await (
        await fetch(`${serverUrl}/a/${domain}/exports/tasks/${taskId}`, { headers })
      ).json()) as {
        state: string;
        percent: number;
        done: number;
        total: number | null;
        error: string | null;
        download_url?: string;
      };
      const line = `   ${status.state.padEnd(10)} ${String(status.percent).padStart(3)}%  ${status.done}/${status.total ?? '?'} forms`;
      if (line !== last) console.log(line);
      last = line;
      if (status.state === 'failed') throw new Error(`the export failed: ${status.error}`);
      if (status.state === 'done') {
        const file = new Uint8Array(
          await (await fetch(`${serverUrl}${status.download_url}`, { headers })).arrayBuffer(),
        );
        const counts = xlsxRowCounts(file);
        console.log(
          `\n   Downloaded ${file.length} bytes: ${Object.entries(counts)
            .map(([sheet, n]) => `${sheet} ${n} rows`)
            .join(', ')}.`,
        );
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await workers.close();
    await tasks.close();
  }
}
