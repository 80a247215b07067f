#!/usr/bin/env node
/**
 * The tributary bin. It checks the Node version before importing anything of the project: on an
 * older Node the first import would fail deep inside (`Promise.withResolvers is not a function`)
 * instead of saying what is wrong. Keep this file to Node builtins and syntax any Node parses.
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};
const required = Number(/\d+/.exec(pkg.engines.node)?.[0]);
const running = Number(process.versions.node.split('.')[0]);
if (running < required) {
  console.error(
    `tributary: needs Node.js ${pkg.engines.node}; this is Node ${process.versions.node} (${process.execPath}).\n` +
      '  Run it as `npm run tributary -- <command>`: npm uses the Node the project installs in\n' +
      `  node_modules/.bin (npm ci). Or install Node ${required} and run \`node dist/cli/main.js\` with it.`,
  );
  process.exit(1);
} else {
  void import('./run-cli.js');
}
