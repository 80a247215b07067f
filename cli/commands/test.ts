/**
 * `tributary test [files or folders…] [--set path=value…]`: runs `*.test.yaml` files beside
 * pipelines and UCR data sources, offline. Exit 0 when every test passes, 1 when one fails, 2 when
 * a test file (or the file it tests) cannot be used.
 */
import type { Registry } from '../../runtime/registry/index.js';
import { runTestFiles } from '../testing/run-tests.js';
import { parseOverrides } from '../load-plans.js';

export async function testCommand(paths: string[], sets: string[], registry: Registry): Promise<number> {
  // Bad syntax is a usage error (exit 2) before any file is read.
  parseOverrides(sets);
  const summary = await runTestFiles(paths.length ? paths : ['pipelines'], { registry, set: sets });
  return summary.broken ? 2 : summary.failed ? 1 : 0;
}
