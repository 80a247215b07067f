import { describe, expect, it } from 'vitest';
import { EndpointConfigError, readEndpoints } from './endpoints.js';

describe('readEndpoints', () => {
  it('falls back to the local stack for every unset or empty variable', () => {
    const endpoints = readEndpoints({ REDIS_URL: '  ' });
    expect(endpoints.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(endpoints.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(endpoints.SCHEMA_REGISTRY_URL).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
  });

  it('splits and trims a comma-separated broker list', () => {
    expect(readEndpoints({ KAFKA_BROKERS: 'a:9092, b:9093,' }).KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
  });

  it('names every bad variable with what was expected', () => {
    let error: unknown;
    try {
      readEndpoints({ KAFKA_BROKERS: 'localhost', DATABASE_URL: 'mysql://x/y' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EndpointConfigError);
    const message = (error as Error).message;
    expect(message).toContain('KAFKA_BROKERS="localhost": expected host:port');
    expect(message).toContain(
      'DATABASE_URL="mysql://x/y": expected a URL starting with postgres:// or postgresql://',
    );
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(readEndpoints({}))).toBe(true);
  });
});

describe('readEndpoints errors', () => {
  it('never show a password, in a malformed URL of any variable or in a secret variable', () => {
    const env = {
      DATABASE_URL: 'postgres://u:pgPASS1@host:port/db',
      REDIS_URL: 'redis//:rdPASS2@host',
      COUCHDB_URL: 'htp://admin:cdPASS3@host',
      SEARCH_URL: 'elastic:esPASS4@host:9200',
      SCHEMA_REGISTRY_URL: 'ftp://reg:srPASS5@host',
      S3_ENDPOINT: 's3://key:s3PASS6@host',
      S3_BUCKET: 'x',
    };
    let message = '';
    try {
      readEndpoints(env);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of Object.keys(env)) expect(message).toContain(name);
    expect(message).not.toMatch(/PASS\d/);
  });
});
