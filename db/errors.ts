/**
 * Whether a database error is a unique-key violation, however it reached us: Sequelize's
 * UniqueConstraintError, mysql2's ER_DUP_ENTRY or SQLite's SQLITE_CONSTRAINT_UNIQUE (raw statements on the
 * engine's transaction, db/row-store.ts).
 */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { name?: string; code?: string; parent?: { code?: string } };
  const code = e?.parent?.code ?? e?.code ?? '';
  return (
    e?.name === 'SequelizeUniqueConstraintError' ||
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed/.test(String((err as Error)?.message)))
  );
}
