import { describe, expect, it } from 'vitest';
import { pinnedSubtypes } from './pinned-subtypes.js';

const eq = (property: string, value: unknown, operator = 'eq') => ({
  type: 'boolean_expression',
  operator,
  expression: { type: 'property_name', property_name: property },
  property_value: value,
});

describe('pinnedSubtypes', () => {
  it('reads an eq or in filter on the property at the top level', () => {
    expect(pinnedSubtypes({ configured_filter: eq('type', 'patient') }, 'type')).toEqual(['patient']);
    expect(pinnedSubtypes({ configured_filter: eq('type', ['a', 'b'], 'in') }, 'type')).toEqual(['a', 'b']);
  });

  it('reads the first matching child of a top-level and, also by property path', () => {
    const filter = {
      type: 'and',
      filters: [
        eq('owner_id', 'u1'),
        { ...eq('xmlns', 'x'), expression: { type: 'property_path', property_path: ['xmlns'] } },
      ],
    };
    expect(pinnedSubtypes({ configured_filter: filter }, 'xmlns')).toEqual(['x']);
  });

  it('pins nothing for other operators, other properties, or no filter', () => {
    expect(pinnedSubtypes({ configured_filter: eq('type', 'p', 'not_eq') }, 'type')).toBeUndefined();
    expect(pinnedSubtypes({ configured_filter: eq('owner_id', 'u') }, 'type')).toBeUndefined();
    expect(pinnedSubtypes({}, 'type')).toBeUndefined();
    expect(
      pinnedSubtypes({ configured_filter: { type: 'or', filters: [eq('type', 'p')] } }, 'type'),
    ).toBeUndefined();
  });
});
