/** Recognises a unique-constraint violation from either driver (SQLite SQLITE_CONSTRAINT_*, PostgreSQL 23505). */

/** True when `err` is a unique or primary-key violation. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
