/**
 * A route handler in a server span, child of the caller's `traceparent` when it sends one; the
 * span is the active context while the handler runs, so the outbox rows it writes carry it on.
 * With tracing off (no propagator registered) the handler runs as it is.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RouteRequest } from '../http/route.js';

export function tracedRoute<R extends RouteRequest>(name: string, handle: (request: R) => Promise<void>) {
  return (request: R): Promise<void> => {
    if (propagation.fields().length === 0) return handle(request);
    const parent = propagation.extract(context.active(), request.req.headers);
    return trace.getTracer('tributary').startActiveSpan(
      name,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.req.method ?? '', 'url.path': request.url.pathname },
      },
      parent,
      async (span) => {
        try {
          await handle(request);
          span.setAttribute('http.response.status_code', request.res.statusCode);
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
