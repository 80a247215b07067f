/**
 * Which CommCare document a change event on a Tributary topic carries: a form or a case (the
 * primary store's topics), or a user, group, domain, application or location (the configuration
 * topics). Accepts the plain Avro-decoded record and a union-wrapped one (`{"dev.tributary.commcare.User": {…}}`).
 */
import type { Application } from '../../../schemas/generated/application.js';
import type { Case } from '../../../schemas/generated/case.js';
import type { Domain } from '../../../schemas/generated/domain.js';
import type { Form } from '../../../schemas/generated/form.js';
import type { Group } from '../../../schemas/generated/group.js';
import type { Location } from '../../../schemas/generated/location.js';
import type { User } from '../../../schemas/generated/user.js';

export type SearchEvent =
  | { kind: 'form'; event: Form }
  | { kind: 'case'; event: Case }
  | { kind: 'user'; event: User }
  | { kind: 'group'; event: Group }
  | { kind: 'domain'; event: Domain }
  | { kind: 'app'; event: Application }
  | { kind: 'location'; event: Location };

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function kindOf(value: Record<string, unknown>): SearchEvent['kind'] | undefined {
  if (typeof value.xmlns === 'string' && isObject(value.form)) return 'form';
  if (typeof value.case_type === 'string' && isObject(value.properties)) return 'case';
  if (typeof value.username === 'string' && Array.isArray(value.domain_memberships)) return 'user';
  if (typeof value.case_sharing === 'boolean' && Array.isArray(value.users)) return 'group';
  if (typeof value.default_timezone === 'string' && typeof value.is_test === 'boolean') return 'domain';
  if (Array.isArray(value.modules) && typeof value.app_version === 'number') return 'app';
  if (typeof value.site_code === 'string' && typeof value.location_type === 'string') return 'location';
  return undefined;
}

/** The event in a record value, or undefined for a value that is none of these. */
export function searchEventOf(value: unknown): SearchEvent | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length === 1 && /^dev\.tributary\.commcare\.\w+$/.test(keys[0]!)) {
    return searchEventOf(value[keys[0]!]);
  }
  if (typeof value.doc_id !== 'string' || typeof value.domain !== 'string') return undefined;
  const kind = kindOf(value);
  return kind ? ({ kind, event: value } as unknown as SearchEvent) : undefined;
}
