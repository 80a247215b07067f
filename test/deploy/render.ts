/** Renders the kustomize overlays with the kustomize that deploy/k8s/tools.sh installs in the cache. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './openapi-validator.js';

export interface DeployTools {
  openapi: string;
  keda: string;
  kustomize: string;
}

/** Runs deploy/k8s/tools.sh (idempotent: at once when the cache holds everything). */
export function deployTools(): DeployTools {
  const out = execFileSync('bash', ['deploy/k8s/tools.sh'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const entries = out
    .trim()
    .split('\n')
    .map((line): [string, string] => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  const tools: Record<string, string> = Object.fromEntries(entries);
  return { openapi: tools.openapi!, keda: tools.keda!, kustomize: tools.kustomize! };
}

export function render(tools: DeployTools, dir: string): KubeObject[] {
  const text = execFileSync(tools.kustomize, ['build', '--load-restrictor', 'LoadRestrictionsNone', dir], {
    encoding: 'utf8',
  });
  return parseAllDocuments(text).map((doc) => doc.toJS() as KubeObject);
}

/** The base with extra components (e.g. the worker, which no overlay includes yet). */
export function renderWithComponents(tools: DeployTools, components: string[]): KubeObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kustomize-'));
  const rel = (path: string) => relative(dir, resolve(path));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${rel('deploy/k8s/base')}]`,
      `components: [${components.map(rel).join(', ')}]`,
      '',
    ].join('\n'),
  );
  return render(tools, dir);
}
