/**
 * Counts the imports between the rooms of the house (ARCHITECTURE.md), so a structural change can
 * say what it moved: `node test/support/room-imports.ts [root]` prints a from → to table and every
 * import that points the wrong way. Lint enforces the arrows; this only measures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const rooms = [
  'cli',
  'server',
  'connectors',
  'processors',
  'commcare',
  'runtime',
  'schemas',
  'bench',
  'test',
];

/** What each room may import (besides itself), from ARCHITECTURE.md. */
const allowed: Record<string, string[]> = {
  cli: ['server', 'connectors', 'processors', 'commcare', 'runtime', 'schemas'],
  server: ['connectors', 'processors', 'commcare', 'runtime', 'schemas'],
  connectors: ['commcare', 'runtime', 'schemas'],
  processors: ['commcare', 'runtime', 'schemas'],
  commcare: ['runtime', 'schemas'],
  runtime: ['schemas'],
  schemas: [],
  bench: rooms,
  test: rooms,
};

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.git', '.stack', 'generated'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) yield path;
  }
}

export interface RoomImports {
  counts: Map<string, number>;
  wrongWay: string[];
}

export function roomImports(root: string): RoomImports {
  const roomOf = (file: string) => relative(root, file).split('/')[0] ?? '';
  const counts = new Map<string, number>();
  const wrongWay: string[] = [];
  for (const room of rooms) {
    let files: string[];
    try {
      files = [...sourceFiles(join(root, room))];
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = roomOf(resolve(dirname(file), match[1]!));
        if (target === room || !rooms.includes(target)) continue;
        const key = `${room} → ${target}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (!allowed[room]!.includes(target)) wrongWay.push(`${relative(root, file)} → ${match[1]}`);
      }
    }
  }
  return { counts, wrongWay };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(process.argv[2] ?? '.');
  const { counts, wrongWay } = roomImports(root);
  for (const [key, n] of [...counts].sort()) console.log(`${key.padEnd(28)} ${n}`);
  console.log(`wrong-way imports: ${wrongWay.length}`);
  for (const line of wrongWay) console.log(`  ${line}`);
}
