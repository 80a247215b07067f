/**
 * Makes sure every service the integration tests need is answering before any test file runs.
 * TRIBUTARY_STACK picks how: `local` (default) starts the process stack of deploy/local,
 * `testcontainers` starts deploy/compose with Docker, `external` trusts the endpoint variables.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startComposeStack } from './compose-stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}; its output above says why`)),
    );
  });
}

const runStackUp = () => run('bash', ['deploy/local/stack.sh', 'up'], 'deploy/local/stack.sh up');
// Tests that run worker processes start the built command, as operators do.
const build = () =>
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], 'tsc (build)');

// The Kubernetes and KEDA schemas and kustomize for test/deploy, cached outside the clone.
const deployTools = () => run('bash', ['deploy/k8s/tools.sh'], 'deploy/k8s/tools.sh');

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const mode = process.env.TRIBUTARY_STACK ?? 'local';
  switch (mode) {
    case 'local':
      await Promise.all([runStackUp(), build(), deployTools()]);
      return undefined;
    case 'testcontainers': {
      const [stack] = await Promise.all([startComposeStack(root), build(), deployTools()]);
      Object.assign(process.env, stack.env);
      return stack.stop;
    }
    case 'external':
      await Promise.all([build(), deployTools()]);
      return undefined;
    default:
      throw new Error(`TRIBUTARY_STACK=${mode}: expected local, testcontainers or external`);
  }
}
