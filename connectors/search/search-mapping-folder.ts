/**
 * The index definitions in a folder: every `*.json` directly in it is one index's mapping file
 * (`pipelines/search/` ships one per index). A bad file fails the start with its name and the path
 * inside it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadConfigError } from '../../runtime/contract/index.js';
import {
  IndexDefinitionError,
  indexDefinitionOf,
  type IndexDefinition,
  type SearchIndexName,
} from '../../commcare/search/index.js';

export async function readIndexDefinitions(folder: string): Promise<Map<SearchIndexName, IndexDefinition>> {
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new BadConfigError(
      'mappings',
      `cannot read the mapping folder ${folder}: ${(error as Error).message}`,
    );
  }
  const definitions = new Map<SearchIndexName, IndexDefinition>();
  for (const name of names) {
    const path = join(folder, name);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new BadConfigError('mappings', `${path}: not JSON: ${(error as Error).message}`);
    }
    try {
      const definition = indexDefinitionOf(json, path);
      if (definitions.has(definition.index)) {
        throw new IndexDefinitionError(`${path}: a second file for index ${definition.index}`);
      }
      definitions.set(definition.index, definition);
    } catch (error) {
      throw new BadConfigError('mappings', (error as Error).message);
    }
  }
  return definitions;
}
