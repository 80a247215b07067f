/**
 * The Docker path of the test harness: deploy/compose started with testcontainers, for machines
 * that have a Docker engine. The endpoints it returns differ from the local stack only where the
 * production servers do (Redpanda serves the registry API at its root; CouchDB wants a login).
 */
import { join } from 'node:path';

export interface ComposeStack {
  env: Record<string, string>;
  stop: () => Promise<void>;
}

export async function startComposeStack(root: string): Promise<ComposeStack> {
  const { DockerComposeEnvironment, Wait } = await import('testcontainers');
  let environment = new DockerComposeEnvironment(join(root, 'deploy/compose'), 'docker-compose.yml');
  for (const service of ['redpanda', 'postgres', 'redis', 'elasticsearch', 'couchdb', 'minio']) {
    environment = environment.withWaitStrategy(`${service}-1`, Wait.forHealthCheck());
  }
  environment = environment.withWaitStrategy('minio-bucket-1', Wait.forOneShotStartup());
  const started = await environment.up();
  return {
    env: {
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
      COUCHDB_URL: 'http://tributary:tributary@127.0.0.1:5984',
    },
    stop: () => started.down().then(() => undefined),
  };
}
