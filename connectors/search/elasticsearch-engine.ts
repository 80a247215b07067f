/** The SearchEngine on Elasticsearch 8 or 9, through @elastic/elasticsearch 8 (Elasticsearch 9 accepts its v8 compatibility headers). */
import { Client } from '@elastic/elasticsearch';
import { ClientEngine, type Transport } from './client-engine.js';

export function elasticsearchEngine(url: string, version: string, requestTimeoutMs: number): ClientEngine {
  // Retries are ours (the sink's lanes pause and back off), not the client's.
  const client = new Client({ node: url, requestTimeout: requestTimeoutMs, maxRetries: 0 });
  const transport: Transport = async (request, options) => {
    const response = await client.transport.request(
      { ...request, querystring: request.querystring ?? {} } as never,
      { ...options, meta: true } as never,
    );
    const { statusCode, body } = response as { statusCode: number; body: unknown };
    return { statusCode, body };
  };
  return new ClientEngine('elasticsearch', version, transport, () => client.close());
}
