/**
 * The lookups CommCare's export transforms need (user id → username, owner id → user, group or
 * location name, case id → case name), gathered for a page of documents and answered in one batch
 * by the task before the page's rows are made.
 */

export interface ExportLookupKeys {
  users: Set<string>;
  owners: Set<string>;
  cases: Set<string>;
}

export interface ExportLookups {
  /** The user's username without `@<domain>.commcarehq.org`, or undefined when unknown. */
  username(userId: string): string | undefined;
  /** The name of the user, group or location with this id, or undefined. */
  ownerName(ownerId: string): string | undefined;
  caseName(caseId: string): string | undefined;
}

export const emptyLookupKeys = (): ExportLookupKeys => ({
  users: new Set(),
  owners: new Set(),
  cases: new Set(),
});

/** Lookups answered from maps (a batch loaded by a connector, or literals in tests). */
export function mapLookups(maps: {
  usernames?: ReadonlyMap<string, string>;
  ownerNames?: ReadonlyMap<string, string>;
  caseNames?: ReadonlyMap<string, string>;
}): ExportLookups {
  return {
    username: (id) => maps.usernames?.get(id),
    ownerName: (id) => maps.ownerNames?.get(id),
    caseName: (id) => maps.caseNames?.get(id),
  };
}

export const noLookups: ExportLookups = mapLookups({});
