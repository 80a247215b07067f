/**
 * `npm run bench:report`: renders the newest bench/results/<timestamp>.json and
 * bench/results/history.jsonl into bench/results/report.html, one self-contained page that opens
 * from the file system. `--out <file>` writes elsewhere.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Floors } from './check-floors.js';
import { parseHistory } from './history-line.js';
import { renderReport } from './render-report.js';
import type { BenchRun } from './scenario-result.js';
import { repositoryRoot } from './scenarios.js';

const resultsDir = join(repositoryRoot, 'bench', 'results');
const { values } = parseArgs({
  options: { out: { type: 'string', default: join(resultsDir, 'report.html') } },
});

// Timestamped files sort by name in time order; the older shape (before `chosen`) is skipped.
const files = (await readdir(resultsDir)).filter((f) => /^\d{4}-\d\d-\d\dT[\d-]+Z\.json$/.test(f)).sort();
let latest: BenchRun | undefined;
for (const file of files.reverse()) {
  const run = JSON.parse(await readFile(join(resultsDir, file), 'utf8')) as BenchRun;
  if (Array.isArray(run.chosen) && run.errors) {
    latest = run;
    break;
  }
}
const history = parseHistory(await readFile(join(resultsDir, 'history.jsonl'), 'utf8').catch(() => ''));
const floors = JSON.parse(await readFile(join(repositoryRoot, 'bench', 'floors.json'), 'utf8')) as Floors;
await writeFile(values.out, renderReport({ latest, history, floors, generatedAt: new Date().toISOString() }));
console.error(
  `report: ${values.out} (latest run ${latest?.at ?? 'none'}, ${history.length} runs of history)`,
);
