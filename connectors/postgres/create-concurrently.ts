/**
 * Runs `CREATE … IF NOT EXISTS` statements that several processes may run at the same moment.
 * IF NOT EXISTS does not make that safe in PostgreSQL: the loser of the race fails on a duplicate
 * catalog entry (23505) or a duplicate schema or relation (42P06, 42P07) or column (42701, for ADD COLUMN IF NOT EXISTS), and the object it wanted
 * exists, so those errors mean done.
 */
const alreadyCreated = new Set(['23505', '42P06', '42P07', '42701']);

export async function createConcurrently(
  db: { none(query: string, values?: unknown): Promise<null> },
  statements: readonly string[],
): Promise<void> {
  for (const statement of statements) {
    try {
      await db.none(statement);
    } catch (error) {
      if (!alreadyCreated.has(String((error as { code?: unknown }).code))) throw error;
    }
  }
}
