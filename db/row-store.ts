import type { Model, ModelStatic, Sequelize } from 'sequelize';
import { directSql } from './sequelize-sql.ts';

/** How one attribute of a model maps to its column. */
interface Column {
  attribute: string;
  field: string;
  kind: 'boolean' | 'number' | 'date' | 'other';
}

/**
 * Reads and updates rows of one model by primary key with one raw statement each, converting values as the
 * model would (booleans, numbers, dates). For the job workers' hot path: a Sequelize `findByPk` and
 * `row.update` cost more CPU than their statements (on SQLite each read also runs `PRAGMA table_info`).
 * Columns and types come from the model's definition, so the two ways of reading a row agree (tested).
 */
export interface RowStore<A extends object> {
  /** The row with this primary key, or null. */
  get(id: number): Promise<A | null>;
  /**
   * Sets the given attributes (and `updatedAt` when the model has timestamps); returns the rows changed.
   * With `current` (the row as read), attributes that already hold their value are left out, and nothing is
   * written when none changes (as Sequelize's `row.update` does). With `sql`, the statement runs there (a job
   * completion's transaction: CompleteJobRequest.within) instead of on a connection of its own.
   */
  update(id: number, patch: Partial<A>, current?: A, sql?: WriteSql): Promise<number>;
}

/** Where a write can run instead: the SQL of an open transaction. */
export interface WriteSql {
  run(sql: string, params?: readonly unknown[]): Promise<unknown>;
}

const stores = new WeakMap<ModelStatic<Model>, RowStore<object>>();

/** The row store of a model (made once per model). */
export function rowsOf<A extends object>(model: ModelStatic<Model>): RowStore<A> {
  let store = stores.get(model);
  if (!store) {
    store = rowStore<object>(model.sequelize!, model);
    stores.set(model, store);
  }
  return store as RowStore<A>;
}

/** A row store of a model whose primary key is `id`. */
export function rowStore<A extends object>(sequelize: Sequelize, model: ModelStatic<Model>): RowStore<A> {
  const sql = directSql(sequelize);
  const table = model.getTableName() as string;
  const columns: Column[] = Object.entries(model.getAttributes()).map(([attribute, a]) => {
    const key = (a.type as unknown as { key?: string }).key ?? '';
    const kind =
      key === 'BOOLEAN'
        ? 'boolean'
        : ['INTEGER', 'BIGINT', 'DOUBLE', 'FLOAT', 'REAL', 'DECIMAL', 'SMALLINT', 'TINYINT'].includes(key)
          ? 'number'
          : key === 'DATE'
            ? 'date'
            : 'other';
    return { attribute, field: a.field ?? attribute, kind };
  });
  const byAttribute = new Map(columns.map((c) => [c.attribute, c]));
  const timestamps = byAttribute.has('updatedAt') && model.options.timestamps !== false;
  const select = `SELECT ${columns.map((c) => c.field).join(', ')} FROM ${table} WHERE id = ?`;
  const dateParam = (d: Date): unknown =>
    // As Sequelize writes a DATE: SQLite text 'YYYY-MM-DD HH:mm:ss.SSS +00:00'; mysql2 formats a Date in the
    // connection's time zone (UTC, db/connection.ts).
    sql.dialect === 'sqlite' ? d.toISOString().replace('T', ' ').replace('Z', ' +00:00') : d;
  const toParam = (c: Column, v: unknown): unknown => {
    if (v == null) return null;
    if (c.kind === 'boolean') return v ? 1 : 0;
    if (c.kind === 'date') return dateParam(v instanceof Date ? v : new Date(v as string | number));
    return v;
  };
  const fromColumn = (c: Column, v: unknown): unknown => {
    if (v == null) return null;
    if (c.kind === 'boolean') return v === true || Number(v) === 1;
    if (c.kind === 'number') return typeof v === 'number' ? v : Number(v);
    if (c.kind === 'date') return v instanceof Date ? v : new Date(v as string);
    return v;
  };
  return {
    async get(id) {
      const rows = await sql.all<Record<string, unknown>>(select, [id]);
      if (rows.length === 0) return null;
      const out: Record<string, unknown> = {};
      for (const c of columns) out[c.attribute] = fromColumn(c, rows[0][c.field]);
      return out as A;
    },
    async update(id, patch, current, into) {
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const [attribute, v] of Object.entries(patch)) {
        if (v === undefined) continue;
        if (current && sameValue((current as Record<string, unknown>)[attribute], v)) continue;
        const c = byAttribute.get(attribute);
        if (!c) throw new Error(`${table} has no attribute ${attribute}`);
        sets.push(`${c.field} = ?`);
        params.push(toParam(c, v));
      }
      if (sets.length === 0) return 0;
      if (timestamps) {
        sets.push(`${byAttribute.get('updatedAt')!.field} = ?`);
        params.push(dateParam(new Date()));
      }
      const text = `UPDATE ${table} SET ${sets.join(', ')} WHERE id = ?`;
      if (!into) return sql.run(text, [...params, id]);
      const result = (await into.run(text, [...params, id])) as { changes?: number } | undefined;
      return Number(result?.changes ?? 1);
    },
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return (a ?? null) === (b ?? null);
}
