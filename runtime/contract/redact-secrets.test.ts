import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact-secrets.js';

describe('redactSecrets', () => {
  it('hides the password of a URL and keeps the user name, host and path', () => {
    expect(redactSecrets('postgres://tributary:s3cret@db.internal:5432/tributary')).toBe(
      'postgres://tributary:***@db.internal:5432/tributary',
    );
  });

  it('hides a password given without a user name (redis://:password@host)', () => {
    expect(redactSecrets('cannot reach redis://:hunter2@127.0.0.1:6379/0')).toBe(
      'cannot reach redis://:***@127.0.0.1:6379/0',
    );
  });

  it('hides a user-only credential, which is a token', () => {
    expect(redactSecrets('https://ghp_abcdef@github.example/x')).toBe('https://***@github.example/x');
  });

  it('hides passwords that make the URL malformed (unescaped @, / or :)', () => {
    expect(redactSecrets('DATABASE_URL="postgres://u:p@ss/w:rd@host:x/db": expected a URL')).toBe(
      'DATABASE_URL="postgres://u:***@host:x/db": expected a URL',
    );
  });

  it('hides every URL of a text, quoted in JSON or in a sentence', () => {
    const line = JSON.stringify({ err: 'fetch http://a:one@h1/ failed', url: 'https://b:two@h2:9200' });
    expect(redactSecrets(line)).not.toMatch(/one|two/);
    expect(redactSecrets(line)).toContain('http://a:***@h1/');
  });

  it('hides credential query parameters and keeps the others', () => {
    expect(
      redactSecrets('postgres://h/db?sslmode=require&sslpassword=abc&password=def&application_name=x'),
    ).toBe('postgres://h/db?sslmode=require&sslpassword=***&password=***&application_name=x');
    expect(redactSecrets('https://s3/x?X-Amz-Credential=AKIA&X-Amz-Signature=ff&a=1')).toBe(
      'https://s3/x?X-Amz-Credential=***&X-Amz-Signature=***&a=1',
    );
  });

  it('leaves text without secrets unchanged', () => {
    for (const text of ['127.0.0.1:9092,127.0.0.1:9093', 'http://127.0.0.1:8081/apis/ccompat/v7', 'a@b.c']) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});
