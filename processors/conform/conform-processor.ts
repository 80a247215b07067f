import { z } from 'zod';
import { BadConfigError, defineProcessor, type PipelineRecord } from '../../runtime/contract/index.js';
import { latestSchemaOfTopic, loadSchemaCatalog } from '../../schemas/schema-catalog.js';
import { conformToSchema } from './conform-to-schema.js';

// CommCare documents name some fields differently from the change-event schemas.
const defaultAliases = {
  revision: ['_rev'],
  name: ['display_name', 'title', 'name', 'hq_name'],
  referenced_doc_type: ['referenced_doc_type'],
  date_joined: ['created_on', 'date_joined'],
  assigned_location_ids: ['assigned_location_ids'],
  parent_location_id: ['parent_location_id'],
};

export const conformProcessor = defineProcessor({
  name: 'conform',
  summary:
    "Shapes each record's value to the Avro schema of the topic it is routed to (schemas/topics.yaml).",
  description:
    'For documents from a loosely typed store (CouchDB) on their way to Avro topics: each record routed to a ' +
    'target gets every field of that topic’s latest schema, from the document, from an alias, from the field’s ' +
    'default, or a neutral value (null for optional fields, empty text, list or map, false, 0; the change time for ' +
    'timestamps). A json-object field the document lacks carries the whole document (a configuration’s ' +
    '`definition`). Records whose target has no schema pass unchanged.',
  config: z.object({
    schemaOf: z
      .record(z.string(), z.string().min(1))
      .default({})
      .describe(
        'Routing target → topic in schemas/topics.yaml whose schema to use; the target itself when absent.',
      ),
    aliases: z
      .record(z.string(), z.array(z.string().min(1)))
      .default(defaultAliases)
      .describe('Schema field → document fields it may be read from, in order (CommCare names by default).'),
  }),
  example: `type: conform
schemaOf: { users: users, configs: configs }`,
  create: async (config) => {
    const catalog = await loadSchemaCatalog();
    const schemas = new Map<string, unknown>();
    const schemaFor = (target: string): unknown => {
      if (!schemas.has(target)) {
        const topic = config.schemaOf[target] ?? target;
        schemas.set(target, latestSchemaOfTopic(catalog, topic)?.schema);
      }
      return schemas.get(target);
    };
    for (const [target, topic] of Object.entries(config.schemaOf)) {
      if (!schemaFor(target))
        throw new BadConfigError(`schemaOf.${target}`, `schemas/topics.yaml has no topic '${topic}'`);
    }
    return {
      process: (record: PipelineRecord): PipelineRecord[] => {
        const target = record.routing?.target;
        const schema = target === undefined ? undefined : schemaFor(target);
        if (!schema || typeof record.value !== 'object' || record.value === null) return [record];
        const value = conformToSchema(record.value as Record<string, unknown>, schema, {
          aliases: config.aliases,
          nowMs: record.timestamp,
        });
        return [{ ...record, value }];
      },
    };
  },
});
