/**
 * Passwords in endpoint variables never reach the screen or the logs: every path that prints an
 * endpoint gets one, and none may show it. `tributary check` runs as operators run it (the built
 * CLI) against the running stack, with well-formed and malformed variables.
 */
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readEndpoints } from '../../connectors/endpoints.js';
import { probeEndpoints } from '../../cli/probe-endpoints.js';
import { createLogger } from '../../runtime/telemetry/logger.js';

/** Every URL variable with a password of its own (the local stack ignores them or refuses them). */
const wellFormed = {
  DATABASE_URL: 'postgres://tributary:pgSECRETa1@127.0.0.1:5432/tributary',
  REDIS_URL: 'redis://:rdSECRETa2@127.0.0.1:6379',
  COUCHDB_URL: 'http://admin:cdSECRETa3@127.0.0.1:5984',
  SEARCH_URL: 'http://elastic:esSECRETa4@127.0.0.1:9200',
  SCHEMA_REGISTRY_URL: 'http://registry:srSECRETa5@127.0.0.1:8081/apis/ccompat/v7',
  S3_ENDPOINT: 'http://s3user:s3SECRETa6@127.0.0.1:9000',
  S3_SECRET_KEY: 'skSECRETa7',
};

/** The same, each malformed in a way a URL parser refuses (so nothing can parse the password out). */
const malformed = {
  DATABASE_URL: 'postgres://tributary:pgSECRETb1@127.0.0.1:notaport/tributary',
  REDIS_URL: 'redis//:rdSECRETb2@127.0.0.1:6379',
  COUCHDB_URL: 'htp://admin:cdSECRETb3@127.0.0.1:5984',
  SEARCH_URL: 'elastic:esSECRETb4@127.0.0.1:9200',
  SCHEMA_REGISTRY_URL: 'http://registry:sr/SECRETb5@127.0.0.1:bad/x',
  S3_ENDPOINT: 's3://s3user:s3SECRETb6@127.0.0.1:9000',
};

const secret = /SECRET[ab]\d/;

function check(env: Record<string, string>): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ['dist/cli/main.js', 'check'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('secrets in endpoint variables', () => {
  it('tributary check shows every endpoint and no password', { timeout: 70_000 }, () => {
    const { output } = check(wellFormed);
    for (const service of ['kafka', 'registry', 'postgres', 'redis', 'search', 'couchdb', 's3'])
      expect(output).toContain(service);
    expect(output).toContain('postgres://tributary:***@127.0.0.1:5432/tributary');
    expect(output).toContain('redis://:***@127.0.0.1:6379');
    expect(output).not.toMatch(secret);
  });

  it('tributary check with malformed variables names each one, shows no password and exits 2', () => {
    const { status, output } = check(malformed);
    expect(status).toBe(2);
    for (const name of Object.keys(malformed)) expect(output).toContain(name);
    expect(output).not.toMatch(secret);
  });

  it('the probe results (address and the client errors) carry no password', { timeout: 30_000 }, async () => {
    const results = await probeEndpoints(readEndpoints({ ...process.env, ...wellFormed }), 10_000);
    expect(results.length).toBe(7);
    expect(JSON.stringify(results)).not.toMatch(secret);
  });

  it.each(['json', 'pretty'] as const)(
    '%s log lines lose the password of any URL in any field or error',
    (format) => {
      let written = '';
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          written += chunk.toString();
          done();
        },
      });
      const logger = createLogger({ level: 'info', destination, format });
      logger.warn(
        { url: wellFormed.DATABASE_URL, err: new Error(`connect to ${wellFormed.REDIS_URL} refused`) },
        `Retrying ${wellFormed.COUCHDB_URL}`,
      );
      logger.child({ endpoint: wellFormed.SEARCH_URL }).error({}, 'search unreachable');
      expect(written).toContain('search unreachable');
      expect(written).toContain('postgres://tributary:***@127.0.0.1');
      expect(written).not.toMatch(secret);
    },
  );
});
