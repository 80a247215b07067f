/** The receiver's route module for `startServer`: creates the primary store and outbox tables, then serves submissions. */
import { ensureOutboxTable } from '../../connectors/outbox/outbox-table.js';
import { ensurePrimaryStore } from '../../connectors/postgres/primary-store.js';
import { SubmissionStore } from '../../connectors/postgres/submission-store.js';
import { loadSchemaCatalog, maxMessageBytesOf } from '../../schemas/schema-catalog.js';
import type { RouteModuleFactory } from '../server.js';
import { receiverRoutes } from './receiver-routes.js';

export interface ReceiverModuleOptions {
  /** Larger bodies are refused with 413 before they are read. */
  maxBodyBytes: number;
  /** The routing targets outbox rows carry; the relay pipeline maps them to topics. */
  topics?: { forms: string; cases: string };
  outboxTable?: string;
  outboxChannel?: string;
}

export function receiverModule(options: ReceiverModuleOptions): RouteModuleFactory {
  return async ({ db, blobs, directory, settings }) => {
    await ensurePrimaryStore(db);
    await ensureOutboxTable(db, options.outboxTable);
    const maxEventBytes = await maxChangeEventBytes();
    const store = new SubmissionStore({
      db,
      blobs,
      topics: options.topics ?? { forms: 'forms', cases: 'cases' },
      maxEventBytes,
      // A body that may be carried must leave room for the rest of its event.
      maxInlineFormBytes: Math.min(
        settings.TRIBUTARY_FORM_BODY_INLINE_MAX_BYTES,
        Math.floor(maxEventBytes / 2),
      ),
      ...(options.outboxTable ? { outboxTable: options.outboxTable } : {}),
      ...(options.outboxChannel ? { outboxChannel: options.outboxChannel } : {}),
    });
    return receiverRoutes({ store, directory, maxBodyBytes: options.maxBodyBytes });
  };
}

/**
 * The largest form or case event the topics accept (schemas/topics.yaml, as `topics ensure` sets
 * them), less room for the record's key, headers and batch framing.
 */
async function maxChangeEventBytes(): Promise<number> {
  const catalog = await loadSchemaCatalog();
  return Math.min(maxMessageBytesOf(catalog, 'forms'), maxMessageBytesOf(catalog, 'cases')) - 4096;
}
