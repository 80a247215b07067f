/**
 * The rows a data source's table holds after documents are applied in order, as the live table
 * would: a document's rows are replaced by its latest version's, and removed when it stops
 * matching, yields none, or is deleted or archived. For `tributary ucr eval` and `tributary test`.
 */
import type { CompiledDataSource, UcrLookups, UcrRow } from '../commcare/ucr/contract.js';
import { pyStr } from '../commcare/ucr/values/py-str.js';

export function isDeletion(doc: unknown): boolean {
  const docType = (doc as { doc_type?: unknown } | null)?.doc_type;
  return typeof docType === 'string' && (docType.endsWith('-Deleted') || docType === 'XFormArchived');
}

/** Document id → its rows; throws naming the document when a lookup is not served. */
export function tableAfter(
  dataSource: CompiledDataSource,
  docs: readonly unknown[],
  lookups: UcrLookups,
): Map<string, readonly UcrRow[]> {
  const table = new Map<string, readonly UcrRow[]>();
  for (const doc of docs) {
    const id = pyStr((doc as { _id?: unknown } | null)?._id ?? null);
    table.delete(id);
    if (isDeletion(doc)) continue;
    const result = dataSource.evaluate(doc, lookups);
    if (result.status === 'missing')
      throw new Error(`document ${id}: lookups not served: ${JSON.stringify(result.missing)}`);
    if (result.matched && result.rows.length > 0) table.set(id, result.rows);
  }
  return table;
}
