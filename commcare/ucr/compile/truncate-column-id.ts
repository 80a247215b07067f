/**
 * CommCare's `truncate_value` for column names: an id longer than PostgreSQL's 63 bytes keeps its
 * last 54 characters, then "_" and the first 8 hex digits of its sha1.
 */
import { createHash } from 'node:crypto';

const MAX_LENGTH = 63;
const HASH_LENGTH = 8;

export function truncateColumnId(id: string): string {
  if (id.length <= MAX_LENGTH) return id;
  const hash = createHash('sha1').update(id, 'utf8').digest('hex').slice(0, HASH_LENGTH);
  return `${id.slice(-(MAX_LENGTH - HASH_LENGTH - 1))}_${hash}`;
}
