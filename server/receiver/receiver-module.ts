/** The receiver's route module for `startServer`: creates the primary store and outbox tables, then serves submissions. */
import { ensureOutboxTable } from '../../connectors/outbox/outbox-table.js';
import { ensurePrimaryStore } from '../../connectors/postgres/primary-store.js';
import { SubmissionStore } from '../../connectors/postgres/submission-store.js';
import type { RouteModuleFactory } from '../server.js';
import { receiverRoutes } from './receiver-routes.js';
import { submissionLimits } from './submission-limits.js';

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
    const store = new SubmissionStore({
      db,
      blobs,
      topics: options.topics ?? { forms: 'forms', cases: 'cases' },
      ...(await submissionLimits(settings)),
      ...(options.outboxTable ? { outboxTable: options.outboxTable } : {}),
      ...(options.outboxChannel ? { outboxChannel: options.outboxChannel } : {}),
    });
    return receiverRoutes({ store, directory, maxBodyBytes: options.maxBodyBytes });
  };
}
