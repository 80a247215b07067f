/**
 * A lane's batch split for `parallelism: { by: key }`: every record of one key in the same group,
 * in the order it came, and the keys spread over at most `groups` groups so the groups are about
 * the same size (each new key joins the smallest group so far). Records without a key count as
 * one key. Generic over records: it only reads their key.
 */
export function keyGroups<T extends { key: string | null }>(records: readonly T[], groups: number): T[][] {
  const out: T[][] = [];
  const groupOf = new Map<string | null, number>();
  for (const record of records) {
    let index = groupOf.get(record.key);
    if (index === undefined) {
      if (out.length < groups) {
        index = out.length;
        out.push([]);
      } else {
        index = 0;
        for (let i = 1; i < out.length; i++) if (out[i]!.length < out[index]!.length) index = i;
      }
      groupOf.set(record.key, index);
    }
    out[index]!.push(record);
  }
  return out;
}
