/**
 * Users, groups, domains, applications and locations as CommCare's pillows index them, from the
 * configuration topics' change events. Field names are CommCare's (`corehq/apps/es/mappings/*`);
 * date-times in its format; `doc_id` beside the engine's own id.
 */
import type { Application } from '../../../schemas/generated/application.js';
import type { Domain } from '../../../schemas/generated/domain.js';
import type { Group } from '../../../schemas/generated/group.js';
import type { Location } from '../../../schemas/generated/location.js';
import type { User } from '../../../schemas/generated/user.js';
import { commcareDateTime } from '../../ucr/commcare-docs.js';

type JsonDoc = Record<string, unknown>;

/** A mobile worker or web user; `base_username` is the username before `@`, searched by the user list. */
export function usersIndexDoc(event: User): JsonDoc {
  const membership = event.domain_memberships.find((m) => m.domain === event.domain) ?? null;
  return {
    doc_id: event.doc_id,
    doc_type: event.doc_type,
    base_doc: 'CouchUser',
    domain: event.domain,
    username: event.username,
    base_username: event.username.split('@')[0],
    first_name: event.first_name,
    last_name: event.last_name,
    email: event.email,
    phone_numbers: [...event.phone_numbers],
    is_active: event.is_active,
    date_joined: commcareDateTime(event.date_joined),
    created_on: commcareDateTime(event.date_joined),
    last_login: commcareDateTime(event.last_login),
    location_id: event.location_id,
    user_location_id: event.location_id,
    assigned_location_ids: [...event.assigned_location_ids],
    domain_membership: membership && {
      domain: membership.domain,
      role_id: membership.role_id,
      is_admin: membership.is_admin,
    },
    domain_memberships: event.domain_memberships.map((m) => ({
      domain: m.domain,
      role_id: m.role_id,
      is_admin: m.is_admin,
    })),
    user_data_es: Object.entries(event.user_data).map(([key, value]) => ({ key, value })),
    '@indexed_on': commcareDateTime(event.changed_on),
  };
}

export function groupsIndexDoc(event: Group): JsonDoc {
  return {
    doc_id: event.doc_id,
    doc_type: event.doc_type,
    domain: event.domain,
    name: event.name,
    case_sharing: event.case_sharing,
    reporting: event.reporting,
    users: [...event.users],
    metadata: { ...event.metadata },
    last_modified: commcareDateTime(event.last_modified),
    '@indexed_on': commcareDateTime(event.changed_on),
  };
}

export function domainsIndexDoc(event: Domain): JsonDoc {
  return {
    doc_id: event.doc_id,
    doc_type: event.doc_type,
    name: event.domain,
    domain: event.domain,
    hr_name: event.hr_name,
    is_active: event.is_active,
    is_test: event.is_test ? 'true' : 'false',
    date_created: commcareDateTime(event.date_created),
    default_timezone: event.default_timezone,
    project_type: event.project_type,
    deployment: { countries: [...event.countries] },
    use_sql_backend: event.use_sql_backend,
    '@indexed_on': commcareDateTime(event.changed_on),
  };
}

export function appsIndexDoc(event: Application): JsonDoc {
  return {
    doc_id: event.doc_id,
    doc_type: event.doc_type,
    domain: event.domain,
    name: event.name,
    version: event.app_version,
    copy_of: event.copy_of,
    is_released: event.is_released,
    built_on: commcareDateTime(event.built_on),
    langs: [...event.langs],
    modules: event.modules.map((module) => ({
      unique_id: module.unique_id,
      name: { ...module.name },
      case_type: module.case_type,
      forms: module.forms.map((form) => ({
        unique_id: form.unique_id,
        name: { ...form.name },
        xmlns: form.xmlns,
        requires: form.requires,
      })),
    })),
    last_modified: commcareDateTime(event.last_modified),
    '@indexed_on': commcareDateTime(event.changed_on),
  };
}

export function locationsIndexDoc(event: Location): JsonDoc {
  const hasPoint = event.latitude !== null && event.longitude !== null;
  return {
    doc_id: event.doc_id,
    location_id: event.doc_id,
    doc_type: event.doc_type,
    domain: event.domain,
    name: event.name,
    site_code: event.site_code,
    location_type: event.location_type,
    location_type_code: event.location_type,
    parent_location_id: event.parent_location_id,
    lineage: [...event.lineage],
    latitude: event.latitude,
    longitude: event.longitude,
    location: hasPoint ? { lat: event.latitude, lon: event.longitude } : null,
    external_id: event.external_id,
    is_archived: event.is_archived,
    metadata: { ...event.metadata },
    last_modified: commcareDateTime(event.last_modified),
    '@indexed_on': commcareDateTime(event.changed_on),
  };
}
