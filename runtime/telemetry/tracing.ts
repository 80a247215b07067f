/**
 * OpenTelemetry tracing of a record's path, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set: then
 * spans go to that OTLP/HTTP endpoint (`/v1/traces`), and the W3C trace context travels in record
 * headers (`traceparent`), through the outbox and Kafka, so one trace follows a form from the
 * receiver to every sink. Off, nothing is registered: the OpenTelemetry API stays its no-op, and
 * the engine, which is handed no tracer, does no work per record.
 */
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  /** Undefined when tracing is off. */
  tracer: Tracer | undefined;
  /** Sends the spans still buffered; call before exiting. */
  shutdown(): Promise<void>;
}

const off: Tracing = { tracer: undefined, shutdown: () => Promise.resolve() };

/** Starts tracing for this process when the environment asks for it (once per process). */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return off;
  // The exporter reads the endpoint, headers and timeouts from the standard OTEL_* variables.
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return { tracer: trace.getTracer('tributary'), shutdown: () => provider.shutdown() };
}
