/** The repository (or installed package) root: found by walking up, so it is the same from the sources and from dist/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'pipelines'))) return `${dir}/`;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Tributary root (package.json beside pipelines/)');
    dir = parent;
  }
}

/** With a trailing slash. */
export const repoRoot = findRoot();
