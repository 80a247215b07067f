/**
 * One server of the `http-frameworks` comparison, in a process of its own so its CPU time is its
 * own: `node http-frameworks-child.js <core|fastify>` listens on a free port, prints it, and
 * serves the same route either way: `POST /a/:domain/receiver` reads the whole body (up to 10 MiB),
 * answers 201 with a small OpenRosa-shaped XML naming the domain and the body's length. `core` is
 * Tributary's node:http server core (server/http: router, route module, errors); `fastify` is
 * Fastify 5 with a text body parser.
 */
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../server/http/http-server.js';
import { readBody, send } from '../server/http/respond.js';
import { silentLogger } from '../runtime/telemetry/logger.js';

const limitBytes = 10 * 1024 * 1024;
const answer = (domain: string, bytes: number) =>
  `<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message nature="submit_success">${domain}: ${bytes} bytes received.</message></OpenRosaResponse>`;

async function core(): Promise<number> {
  const { server } = createHttpServer({
    modules: [
      {
        name: 'bench',
        routes: [
          {
            method: 'POST',
            path: '/a/:domain/receiver',
            summary: 'bench route',
            access: 'public',
            handle: async ({ req, res, params }) => {
              const body = await readBody(req, res, limitBytes);
              send(res, 201, 'text/xml; charset=utf-8', answer(params.domain!, body.length));
            },
          },
        ],
      },
    ],
    authenticator: {
      domainExists: () => Promise.resolve(true),
      authenticate: () => Promise.resolve({ ok: false, status: 401, message: 'no' }),
    },
    logger: silentLogger,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function fastify(): Promise<number> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ bodyLimit: limitBytes, keepAliveTimeout: 65_000 });
  app.addContentTypeParser('text/xml', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post<{ Params: { domain: string }; Body: Buffer }>('/a/:domain/receiver', (request, reply) => {
    void reply
      .code(201)
      .type('text/xml; charset=utf-8')
      .send(answer(request.params.domain, request.body.length));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

const kind = process.argv[2];
const port = kind === 'fastify' ? await fastify() : await core();
process.stdout.write(`${port}\n`);
// Exit (not die) on SIGTERM, so a run under --cpu-prof writes its profile.
process.once('SIGTERM', () => process.exit(0));
