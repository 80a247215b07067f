/**
 * The sizes every writer of submissions (the receiver, the case import) keeps its change events
 * under: the largest event the topics accept (schemas/topics.yaml, as `topics ensure` sets each
 * topic's max.message.bytes), less room for the record's key, headers and batch framing; and the
 * size above which a question tree travels beside its event in the blob store.
 */
import { loadSchemaCatalog, maxMessageBytesOf } from '../../schemas/schema-catalog.js';
import type { ServerSettings } from '../server-settings.js';

export interface SubmissionLimits {
  maxEventBytes: number;
  maxInlineFormBytes: number;
}

export async function submissionLimits(settings: ServerSettings): Promise<SubmissionLimits> {
  const catalog = await loadSchemaCatalog();
  const maxEventBytes =
    Math.min(maxMessageBytesOf(catalog, 'forms'), maxMessageBytesOf(catalog, 'cases')) - 4096;
  // A body that may be carried must leave room for the rest of its event.
  const maxInlineFormBytes = Math.min(
    settings.TRIBUTARY_FORM_BODY_INLINE_MAX_BYTES,
    Math.floor(maxEventBytes / 2),
  );
  return { maxEventBytes, maxInlineFormBytes };
}
