/**
 * One span per record of a batch, from its arrival to its batch being durable (the stages and the
 * sinks), child of the span its `traceparent` header names (the receiver, or the pipeline that
 * wrote it to its topic). The record's header is replaced by the new span, so a sink that forwards
 * headers (Kafka) carries the trace on. Only used when tracing is on.
 */
import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { SourceRecord } from '../contract/index.js';

export interface RecordSpans {
  /** Ends every span; with an error, marks them failed (the batch did not complete). */
  end(error?: Error): void;
}

export function startRecordSpans(
  tracer: Tracer,
  pipeline: string,
  lane: string,
  records: SourceRecord[],
  path: { stages: string[]; sinks: string[] },
): RecordSpans {
  const spans: Span[] = records.map((record) => {
    const parent = propagation.extract(ROOT_CONTEXT, record.headers);
    const span = tracer.startSpan(
      `${pipeline} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'tributary.pipeline': pipeline,
          'tributary.lane': lane,
          'tributary.offset': record.position.offset,
          'tributary.stages': path.stages,
          'tributary.sinks': path.sinks,
          ...(record.key !== null ? { 'tributary.key': record.key } : {}),
        },
      },
      parent,
    );
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
    record.headers = { ...record.headers, ...carrier };
    return span;
  });
  return {
    end: (error) => {
      for (const span of spans) {
        if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.end();
      }
    },
  };
}
