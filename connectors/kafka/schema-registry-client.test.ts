import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../runtime/contract/index.js';
import { RegistryRequestError, SchemaRegistryClient } from './schema-registry-client.js';

interface Sent {
  url: string;
  method: string;
  body: unknown;
  contentType: string | undefined;
}

/** A client whose fetch answers with `status` and `body` and records what was sent. */
function clientAnswering(status: number, body: unknown) {
  const sent: Sent[] = [];
  const client = new SchemaRegistryClient({ url: 'http://registry.test/apis/ccompat/v7/' }, (url, init) => {
    sent.push({
      url,
      method: init.method ?? 'GET',
      body: init.body === undefined ? undefined : (JSON.parse(init.body as string) as unknown),
      contentType: (init.headers as Record<string, string>)['content-type'],
    });
    return Promise.resolve(new Response(body === undefined ? null : JSON.stringify(body), { status }));
  });
  return { client, sent };
}

describe('SchemaRegistryClient', () => {
  it('registers a schema under an encoded subject with the registry content type', async () => {
    const { client, sent } = clientAnswering(200, { id: 7 });
    expect(await client.registerSchema('t_a.cases-value', '{"type":"string"}')).toBe(7);
    expect(sent).toEqual([
      {
        url: 'http://registry.test/apis/ccompat/v7/subjects/t_a.cases-value/versions',
        method: 'POST',
        body: { schema: '{"type":"string"}' },
        contentType: 'application/vnd.schemaregistry.v1+json',
      },
    ]);
  });

  it('answers undefined for a schema id or a lookup the registry does not have', async () => {
    expect(
      await clientAnswering(404, { error_code: 40403, message: 'Schema 9 not found' }).client.getSchemaById(
        9,
      ),
    ).toBe(undefined);
    expect(
      await clientAnswering(404, { error_code: 40401, message: 'no subject' }).client.lookupSchema('s', '{}'),
    ).toBe(undefined);
  });

  it('serves a schema by id, AVRO when the registry leaves the type out', async () => {
    const { client } = clientAnswering(200, { schema: '{"type":"string"}' });
    expect(await client.getSchemaById(3)).toEqual({ schema: '{"type":"string"}', schemaType: 'AVRO' });
  });

  it('rejects a refused registration with the registry message and code, not retryable', async () => {
    const { client } = clientAnswering(409, { error_code: 409, message: 'Incompatible: owner at /fields/3' });
    const error = (await client.registerSchema('s', '{}').catch((e: unknown) => e)) as RegistryRequestError;
    expect(error).toBeInstanceOf(RegistryRequestError);
    expect(error).toMatchObject({ status: 409, errorCode: 409, retryable: false });
    expect(error.message).toMatch(/409 .*Incompatible: owner at \/fields\/3/);
  });

  it('rejects a 5xx or 429 answer as retryable', async () => {
    for (const status of [500, 503, 429]) {
      await expect(
        clientAnswering(status, { message: 'busy' }).client.getSchemaById(1),
      ).rejects.toBeInstanceOf(RetryableError);
    }
  });

  it('rejects a refused connection as retryable, naming the request and the cause', async () => {
    const client = new SchemaRegistryClient({ url: 'http://127.0.0.1:9/x' }, () =>
      Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })),
    );
    const error = (await client.getSchemaById(1).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe(
      'schema registry unavailable: GET http://127.0.0.1:9/x/schemas/ids/1: ECONNREFUSED',
    );
  });

  it('treats a compatibility test of a subject that does not exist as compatible', async () => {
    expect(await clientAnswering(404, { error_code: 40401 }).client.testCompatibility('s', '{}')).toBe(true);
    expect(await clientAnswering(200, { is_compatible: false }).client.testCompatibility('s', '{}')).toBe(
      false,
    );
  });

  it('refuses a URL that is not http(s) at construction', () => {
    expect(() => new SchemaRegistryClient({ url: 'ftp://registry' })).toThrow();
  });
});
