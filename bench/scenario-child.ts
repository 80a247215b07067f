/**
 * Runs one scenario function in a process of its own, so that the peak RSS measured is the
 * scenario's alone: `node scenario-child.js <module> <export> <options JSON> <output file>`.
 * Progress goes to stderr; the result, with this process's peak RSS, goes to the output file as
 * `{ ok: true, result, maxRssKiB }` or `{ ok: false, error, unavailable }`.
 */
import { writeFileSync } from 'node:fs';
import { isUnavailable } from './scenario-unavailable-error.js';

const [modulePath, exportName, optionsJson, outputFile] = process.argv.slice(2);
if (!modulePath || !exportName || !optionsJson || !outputFile)
  throw new Error('usage: scenario-child.js <module> <export> <options JSON> <output file>');

const log = (line: string) => process.stderr.write(`${line}\n`);
let report: unknown;
try {
  const module = (await import(modulePath)) as Record<string, unknown>;
  // The named export, else the one exported function whose name ends in `Scenario`.
  const candidates = Object.entries(module).filter(
    ([name, value]) => typeof value === 'function' && name.endsWith('Scenario'),
  );
  const run = module[exportName] ?? (candidates.length === 1 ? candidates[0]![1] : undefined);
  if (typeof run !== 'function') throw new Error(`${modulePath} does not export a function ${exportName}`);
  const result: unknown = await (run as (options: unknown) => Promise<unknown>)({
    ...(JSON.parse(optionsJson) as object),
    log,
  });
  report = { ok: true, result, maxRssKiB: process.resourceUsage().maxRSS };
} catch (error) {
  report = {
    ok: false,
    // Something missing is said in one line; anything else keeps its stack.
    error: isUnavailable(error)
      ? (error as Error).message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error),
    unavailable: isUnavailable(error),
  };
}
writeFileSync(outputFile, JSON.stringify(report));
// A scenario that left a handle open (a client not closed) must not hold the run up.
process.exit(0);
