/**
 * For the tests of the schema tools: a throwaway schemas folder in the OS temp dir, written from
 * literals (topics.yaml plus `<folder>/v<N>.avsc` files), removed by the returned function.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The envelope fields every change event starts with, for literal schemas in tests. */
export const envelope = [
  { name: 'doc_id', type: 'string', doc: 'Document id.' },
  { name: 'domain', type: 'string', doc: 'Project space.' },
  { name: 'doc_type', type: 'string', doc: 'Document type.' },
  { name: 'version', type: 'long', doc: 'Grows with every change.' },
  { name: 'deleted', type: 'boolean', doc: 'Deleted.' },
  { name: 'changed_on', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'Change time.' },
];

/** A valid change-event record named `name` with the envelope and then `fields`. */
export function changeEvent(name: string, fields: object[]): object {
  return {
    type: 'record',
    name,
    namespace: 'dev.tributary.test',
    doc: `A change of one ${name}.`,
    fields: [...envelope, ...fields],
  };
}

export interface SchemaTestFolder {
  dir: string;
  /** Writes (or overwrites) a file under the folder; objects are written as JSON. */
  write(path: string, content: string | object): Promise<void>;
  remove(): Promise<void>;
}

/** A new temp schemas folder holding `files` (path → text or JSON object). */
export async function schemaTestFolder(files: Record<string, string | object>): Promise<SchemaTestFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-schemas-'));
  const write = async (path: string, content: string | object) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(
      join(dir, path),
      typeof content === 'string' ? content : JSON.stringify(content, null, 2),
    );
  };
  for (const [path, content] of Object.entries(files)) await write(path, content);
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) };
}
