/**
 * Makes sure every service the integration tests need is answering before any test file runs.
 * TRIBUTARY_STACK picks how: `local` (default) starts the process stack of deploy/local,
 * `testcontainers` starts deploy/compose with Docker, `external` trusts the endpoint variables.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startComposeStack } from './compose-stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runStackUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['deploy/local/stack.sh', 'up'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `deploy/local/stack.sh up exited with ${code}; its output above names the service and log`,
            ),
          ),
    );
  });
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const mode = process.env.TRIBUTARY_STACK ?? 'local';
  switch (mode) {
    case 'local':
      await runStackUp();
      return undefined;
    case 'testcontainers': {
      const stack = await startComposeStack(root);
      Object.assign(process.env, stack.env);
      return stack.stop;
    }
    case 'external':
      return undefined;
    default:
      throw new Error(`TRIBUTARY_STACK=${mode}: expected local, testcontainers or external`);
  }
}
