/**
 * What an expression sees besides its item (CommCare's `EvaluationContext`): the root document, the
 * iteration number, the lookups, and the keys of lookups that were not loaded yet.
 */
import type { UcrLookupKey, UcrLookups } from '../contract.js';

export class EvalContext {
  /** Lookup keys that returned `undefined`, in the order they were asked for (with repeats). */
  missing: UcrLookupKey[];
  constructor(
    readonly root: unknown,
    readonly lookups: UcrLookups,
    public iteration = 0,
    missing?: UcrLookupKey[],
  ) {
    this.missing = missing ?? [];
  }

  /** Translations in data sources use English (CommCare's pillows run in the default language). */
  readonly lang = 'en';

  /** The root document's domain, which every lookup is scoped to. */
  get domain(): string {
    const root = this.root as { domain?: unknown } | null;
    return typeof root?.domain === 'string' ? root.domain : '';
  }

  /** The looked-up value, or null after recording the key when it is not loaded yet. */
  lookup(kind: string, id: string): unknown {
    const key: UcrLookupKey = { kind, id, domain: this.domain };
    const value = this.lookups.get(key);
    if (value === undefined) {
      this.missing.push(key);
      return null;
    }
    return value;
  }

  /** A context rooted at a related document (iteration 0), sharing lookups and missing keys. */
  relatedTo(doc: unknown): EvalContext {
    return new EvalContext(doc, this.lookups, 0, this.missing);
  }
}

/** Lookups that know nothing: every key is "known not to exist". */
export const noLookups: UcrLookups = { get: () => null };
