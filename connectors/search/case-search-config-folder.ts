/**
 * The domains' case search configurations (CommCare's CaseSearchConfig), one `<domain>.json` per
 * domain in a folder (`pipelines/search/case-search/`). A bad file is a BadConfigError naming it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadConfigError } from '../../runtime/contract/index.js';
import { caseSearchConfigOf, type CaseSearchConfig } from '../../commcare/search/index.js';

export async function readCaseSearchConfigs(folder: string): Promise<Map<string, CaseSearchConfig>> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new BadConfigError('caseSearchConfigs', `cannot read ${folder}: ${(error as Error).message}`);
  }
  const configs = new Map<string, CaseSearchConfig>();
  for (const name of names) {
    const path = join(folder, name);
    try {
      const config = caseSearchConfigOf(JSON.parse(await readFile(path, 'utf8')), path);
      if (configs.has(config.domain))
        throw new Error(`${path}: a second configuration for domain ${config.domain}`);
      configs.set(config.domain, config);
    } catch (error) {
      throw new BadConfigError('caseSearchConfigs', (error as Error).message);
    }
  }
  return configs;
}
