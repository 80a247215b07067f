// The only part of the runtime that components import: how to declare one, what flows, how to fail.
export {
  defineProcessor,
  defineSink,
  defineSource,
  type ComponentContext,
  type ComponentKind,
  type ComponentSpec,
  type DeliveryHints,
  type LaneRefusal,
  type LaneControl,
  type Logger,
  type Processor,
  type ProcessorContext,
  type ProcessorSpec,
  type Resources,
  type Sink,
  type SinkSpec,
  type Source,
  type SourceBacklog,
  type SourceHandler,
  type SourceSpec,
  type SpecBase,
  type TopicDeclaration,
  type WriteFailure,
  type WriteResult,
} from './component.js';
export type { DeadLetter, DeadLetterWriter } from './dead-letter.js';
export { BadConfigError, BadRecordError, RetryableError, isRetryable } from './errors.js';
export { redactSecrets } from './redact-secrets.js';
export type { PipelineRecord, Position, RecordRouting, SinkRecord, SourceRecord } from './record.js';
export type { Endpoints } from './endpoints.js';
export { isObject } from './is-object.js';
export {
  referenceKey,
  referenceOf,
  referencesOf,
  resourceRef,
  sinkRef,
  type Reference,
  type ResourceReference,
  type SinkReference,
} from './references.js';
export {
  defineResource,
  resourceType,
  type BoundedRunOptions,
  type BoundedRunResult,
  type Resource,
  type ResourceContext,
  type ResourceSpec,
  type ResourceType,
  type ViewBuild,
} from './resource.js';
export type { ComponentStatus, StatusContext, StatusTable } from './status.js';
