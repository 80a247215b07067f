/**
 * The primary store of forms and cases in PostgreSQL (the receiver writes it; UCR lookups and
 * rebuilds read it). Each row keeps, besides the columns queries filter on, the latest change event
 * exactly as it is published (`form` and `properties` as JSON objects), so a reader turns a row into
 * the same document a consumer of the topic sees.
 */
import type { Queryable } from '../outbox/outbox-table.js';
import { createConcurrently } from './create-concurrently.js';

export const primaryStoreSchema = 'tributary_store';

/** Fully qualified, quoted names of the primary store's tables. */
export const primaryStoreTables = {
  forms: `"${primaryStoreSchema}"."forms"`,
  cases: `"${primaryStoreSchema}"."cases"`,
  caseIndices: `"${primaryStoreSchema}"."case_indices"`,
  caseTransactions: `"${primaryStoreSchema}"."case_transactions"`,
} as const;

const ddl = [
  `CREATE SCHEMA IF NOT EXISTS "${primaryStoreSchema}"`,
  // One row per form id; its case blocks are kept so cases can be rebuilt without the XML. An edit keeps the instanceID row for the new body and copies the old one
  // under a new id with state 'deprecated' (CommCare's XFormDeprecated), pointing back with orig_id.
  `CREATE TABLE IF NOT EXISTS ${primaryStoreTables.forms} (
    form_id text PRIMARY KEY,
    domain text NOT NULL,
    xmlns text NOT NULL,
    state text NOT NULL,
    user_id text,
    received_on timestamptz NOT NULL,
    version bigint NOT NULL,
    body_sha256 text NOT NULL,
    orig_id text,
    seq bigserial NOT NULL,
    time_end_ms bigint,
    case_blocks jsonb NOT NULL DEFAULT '[]'::jsonb,
    event jsonb NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS forms_domain_xmlns ON ${primaryStoreTables.forms} (domain, xmlns)`,
  `CREATE TABLE IF NOT EXISTS ${primaryStoreTables.cases} (
    case_id text PRIMARY KEY,
    domain text NOT NULL,
    case_type text NOT NULL,
    owner_id text NOT NULL,
    closed boolean NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    version bigint NOT NULL,
    event jsonb NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS cases_domain_type ON ${primaryStoreTables.cases} (domain, case_type)`,
  `CREATE TABLE IF NOT EXISTS ${primaryStoreTables.caseIndices} (
    case_id text NOT NULL,
    identifier text NOT NULL,
    referenced_id text NOT NULL,
    referenced_type text NOT NULL,
    relationship text NOT NULL,
    PRIMARY KEY (case_id, identifier)
  )`,
  `CREATE INDEX IF NOT EXISTS case_indices_referenced ON ${primaryStoreTables.caseIndices} (referenced_id)`,
  // Which forms touched which case, in the order the server received them: rebuilding a case after
  // an edit or an archive replays its forms in this order.
  `CREATE TABLE IF NOT EXISTS ${primaryStoreTables.caseTransactions} (
    case_id text NOT NULL,
    form_id text NOT NULL,
    received_seq bigint NOT NULL,
    PRIMARY KEY (case_id, form_id)
  )`,
  `CREATE INDEX IF NOT EXISTS case_transactions_form ON ${primaryStoreTables.caseTransactions} (form_id)`,
];

/** Creates the primary store's schema and tables when missing; safe from several processes at once. */
export async function ensurePrimaryStore(db: Queryable): Promise<void> {
  await createConcurrently(db, ddl);
}
