/** A small, realistic set of case changes for the demo: households and patients, each changed twice. */
import type { Case } from '../schemas/generated/index.js';

const villages = ['Kisumu', 'Bondo', 'Siaya', 'Homa Bay'];
const names = ['Amina Okafor', 'Chidi Mensah', 'Wanjiru Kamau', 'Tunde Bello', 'Nia Otieno', 'Kofi Asante'];

export function demoCases(count: number, now = Date.now()): Case[] {
  const changes: Case[] = [];
  for (let version = 1; version <= 2; version++) {
    for (let i = 0; i < count; i++) {
      const household = i % 3 === 0;
      const opened = now - (count - i) * 86_400_000;
      changes.push({
        doc_id: `demo-case-${String(i).padStart(3, '0')}`,
        domain: 'demo',
        doc_type: 'CommCareCase',
        version,
        deleted: false,
        changed_on: now,
        case_type: household ? 'household' : 'patient',
        name: household ? `${villages[i % villages.length]} household ${i}` : names[i % names.length]!,
        owner_id: `chw-${i % 4}`,
        opened_on: opened,
        opened_by: `chw-${i % 4}`,
        modified_on: now,
        modified_by: `chw-${i % 4}`,
        server_modified_on: now,
        closed: version === 2 && i % 5 === 0,
        closed_on: version === 2 && i % 5 === 0 ? now : null,
        closed_by: version === 2 && i % 5 === 0 ? `chw-${i % 4}` : null,
        external_id: null,
        location_id: `loc-${villages[i % villages.length]!.toLowerCase().replace(' ', '-')}`,
        properties: household
          ? {
              village: villages[i % villages.length]!,
              members: String(3 + (i % 5)),
              visit_count: String(version),
            }
          : {
              age: String(18 + ((i * 7) % 50)),
              pregnant: i % 2 ? 'yes' : 'no',
              visit_count: String(version),
            },
        indices: household
          ? []
          : [
              {
                identifier: 'parent',
                referenced_type: 'household',
                referenced_id: `demo-case-${String(i - (i % 3)).padStart(3, '0')}`,
                relationship: 'child',
              },
            ],
        xform_ids: Array.from({ length: version }, (_, v) => `demo-form-${i}-${v + 1}`),
        change_source: 'form',
      });
    }
  }
  return changes;
}
