/** The SearchEngine on OpenSearch 2, through @opensearch-project/opensearch. */
import { Client } from '@opensearch-project/opensearch';
import { ClientEngine, type Transport } from './client-engine.js';

export function openSearchEngine(url: string, version: string, requestTimeoutMs: number): ClientEngine {
  // Retries are ours (the sink's lanes pause and back off), not the client's.
  const client = new Client({ node: url, requestTimeout: requestTimeoutMs, maxRetries: 0 });
  const transport: Transport = async (request, options) => {
    const response = await client.transport.request(
      { ...request, querystring: request.querystring ?? {} } as never,
      { ...options },
    );
    return { statusCode: response.statusCode ?? 200, body: response.body as unknown };
  };
  return new ClientEngine('opensearch', version, transport, () => client.close());
}
