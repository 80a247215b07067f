/** `tributary validate <files…>`: checks pipeline files without connecting to anything. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatProblem, loadPipelineFile } from '../../runtime/config/index.js';
import { listOption, type CommandInput } from '../command.js';
import { parseOverrides } from '../load-plans.js';

/** Files as given; a directory stands for every .yaml/.yml file below it except tests (`*.test.yaml`). */
export async function expandPipelineFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) {
      const entries = await readdir(path, { recursive: true });
      files.push(
        ...entries
          .filter((e) => /\.ya?ml$/.test(e) && !/\.test\.ya?ml$/.test(e))
          .sort()
          .map((e) => join(path, e)),
      );
    } else {
      files.push(path);
    }
  }
  return files;
}

export async function validateCommand({
  positionals,
  values,
  registry,
  out,
  err,
}: CommandInput): Promise<number> {
  const overrides = parseOverrides(listOption(values, 'set'));
  let bad = 0;
  const files = await expandPipelineFiles(positionals);
  for (const file of files) {
    const result = await loadPipelineFile(file, registry, process.env, { overrides });
    if (result.ok) continue;
    bad++;
    for (const problem of result.problems) err(formatProblem(problem));
  }
  if (bad) {
    err(`${bad} of ${files.length} pipeline file(s) invalid.`);
    return 2;
  }
  out(`${files.length} pipeline file(s) valid.`);
  return 0;
}
