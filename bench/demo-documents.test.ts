import { describe, expect, it } from 'vitest';
import { createAvroSerde } from '../connectors/kafka/avro-serde.js';
import { MemorySchemaRegistry } from '../connectors/kafka/memory-schema-registry.js';
import { caseSchema, formSchema } from '../schemas/generated/index.js';
import {
  demoChanges,
  followupVisitForm,
  followupVisitXmlns,
  householdRegistrationXmlns,
} from './demo-documents.js';

describe('demo change events', () => {
  const { forms, cases } = demoChanges(100);

  it('mixes registrations, visits, households and members in the stated proportions', () => {
    expect(forms.filter((f) => f.xmlns === householdRegistrationXmlns)).toHaveLength(20);
    expect(forms.filter((f) => f.xmlns === followupVisitXmlns)).toHaveLength(30);
    expect(cases.filter((c) => c.case_type === 'household')).toHaveLength(20);
    expect(cases.filter((c) => c.case_type === 'member')).toHaveLength(30);
    expect([...forms, ...cases].every((doc) => doc.domain === 'demo')).toBe(true);
  });

  it('gives visits a medications repeat of {name, dose_mg, taken} items', () => {
    const repeat = (followupVisitForm(3).form.medications as { medication: unknown }).medication;
    const items: unknown[] = Array.isArray(repeat) ? (repeat as unknown[]) : [repeat];
    expect(Object.keys(items[0] as object).sort()).toEqual(['dose_mg', 'name', 'taken']);
  });

  it('is deterministic', () => {
    expect(demoChanges(20)).toEqual(demoChanges(20));
  });

  it('round-trips through the forms and cases Avro schemas', async () => {
    const registry = new MemorySchemaRegistry();
    const formSerde = createAvroSerde({ subject: 'forms-value', schema: formSchema }, registry);
    const caseSerde = createAvroSerde({ subject: 'cases-value', schema: caseSchema }, registry);
    expect(await formSerde.decode(await formSerde.encode(forms[2]))).toEqual(forms[2]);
    expect(await caseSerde.decode(await caseSerde.encode(cases[3]))).toEqual(cases[3]);
  });
});
