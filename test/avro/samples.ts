/**
 * One realistic value of every topic's value type, typed by the generated types so a schema
 * change that these values no longer fit fails the typecheck, not just a test.
 */
import { followUpVisitForm, householdMemberCase } from '../../bench/documents.js';
import {
  applicationSchema,
  caseSchema,
  configDocumentSchema,
  domainSchema,
  formSchema,
  groupSchema,
  locationSchema,
  userSchema,
  type Application,
  type ConfigDocument,
  type Domain,
  type Group,
  type Location,
  type User,
} from '../../schemas/generated/index.js';

const t = Date.UTC(2024, 4, 14, 10, 21, 47);

const user: User = {
  doc_id: 'u-7f3a',
  domain: 'kenya-chw',
  doc_type: 'CommCareUser',
  version: 4,
  deleted: false,
  changed_on: t,
  username: 'chw.amani@kenya-chw.commcarehq.org',
  first_name: 'Amani',
  last_name: 'Otieno',
  email: null,
  phone_numbers: ['+254712345678'],
  is_active: true,
  date_joined: t - 90 * 86_400_000,
  last_login: t - 3_600_000,
  location_id: 'loc-kibera',
  assigned_location_ids: ['loc-kibera', 'loc-lindi'],
  user_data: { team: 'north', supervisor: 'u-11aa' },
  domain_memberships: [{ domain: 'kenya-chw', role_id: 'role-chw', is_admin: false }],
};

const group: Group = {
  doc_id: 'g-01',
  domain: 'kenya-chw',
  doc_type: 'Group',
  version: 2,
  deleted: false,
  changed_on: t,
  name: 'Kibera north team',
  case_sharing: true,
  reporting: true,
  users: ['u-7f3a', 'u-8b2c'],
  metadata: { region: 'nairobi' },
  last_modified: t,
};

const application: Application = {
  doc_id: 'app-9c',
  domain: 'kenya-chw',
  doc_type: 'Application',
  version: 12,
  deleted: false,
  changed_on: t,
  name: 'CHW visits',
  app_version: 412,
  copy_of: null,
  is_released: false,
  built_on: null,
  langs: ['en', 'sw'],
  modules: [
    {
      unique_id: 'mod-1',
      name: { en: 'Household members', sw: 'Wanakaya' },
      case_type: 'household_member',
      forms: [
        {
          unique_id: 'form-1',
          name: { en: 'Follow-up Visit', sw: 'Ziara ya ufuatiliaji' },
          xmlns: 'http://openrosa.org/formdesigner/8F3C1B2E-6A4D-4E4B-9C1F-1D2E3F4A5B6C',
          requires: 'case',
        },
      ],
    },
  ],
  last_modified: t,
};

const location: Location = {
  doc_id: 'loc-kibera',
  domain: 'kenya-chw',
  doc_type: 'Location',
  version: 1,
  deleted: false,
  changed_on: t,
  name: 'Kibera',
  site_code: 'kibera',
  location_type: 'ward',
  parent_location_id: 'loc-nairobi',
  lineage: ['loc-nairobi', 'loc-kenya'],
  latitude: -1.3133,
  longitude: 36.7879,
  external_id: null,
  is_archived: false,
  metadata: { population: '185777' },
  last_modified: t,
};

const domain: Domain = {
  doc_id: 'd-kenya-chw',
  domain: 'kenya-chw',
  doc_type: 'Domain',
  version: 31,
  deleted: false,
  changed_on: t,
  hr_name: 'Kenya CHW programme',
  is_active: true,
  is_test: false,
  date_created: Date.UTC(2019, 1, 1),
  default_timezone: 'Africa/Nairobi',
  project_type: 'MNCH',
  countries: ['KE'],
  use_sql_backend: true,
};

const configDocument: ConfigDocument = {
  doc_id: 'ds-visits',
  domain: 'kenya-chw',
  doc_type: 'DataSourceConfiguration',
  version: 3,
  deleted: false,
  changed_on: t,
  name: 'Visits',
  referenced_doc_type: 'XFormInstance',
  table_id: 'visits',
  is_deactivated: false,
  revision: '3-9f2c1b',
  definition: {
    referenced_doc_type: 'XFormInstance',
    table_id: 'visits',
    configured_filter: {
      type: 'property_match',
      property_name: 'xmlns',
      property_value: 'http://openrosa.org/x',
    },
    configured_indicators: [
      {
        column_id: 'temperature',
        type: 'expression',
        datatype: 'decimal',
        expression: { type: 'property_path', property_path: ['form', 'vitals', 'temperature'] },
      },
    ],
  },
};

/** Every topic with its latest schema and a value of it. */
export const samples = [
  { topic: 'forms', schema: formSchema, value: followUpVisitForm(1) },
  { topic: 'cases', schema: caseSchema, value: householdMemberCase(1) },
  { topic: 'users', schema: userSchema, value: user },
  { topic: 'groups', schema: groupSchema, value: group },
  { topic: 'apps', schema: applicationSchema, value: application },
  { topic: 'locations', schema: locationSchema, value: location },
  { topic: 'domains', schema: domainSchema, value: domain },
  { topic: 'configs', schema: configDocumentSchema, value: configDocument },
] as const;
