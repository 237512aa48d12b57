import type { Model, ModelStatic, Sequelize } from 'sequelize';
import { directSql } from './sequelize-sql.ts';

/** How one attribute of a model maps to its column. */
interface Column {
  attribute: string;
  field: string;
  kind: 'boolean' | 'number' | 'date' | 'other';
  /** A plain default value of the model (functions and SQL expressions are not used here). */
  defaultValue?: unknown;
  autoIncrement: boolean;
}

/**
 * Reads and updates rows of one model by primary key with one raw statement each, converting values as the
 * model would (booleans, numbers, dates). For the job workers' hot path: a Sequelize `findByPk` and
 * `row.update` cost more CPU than their statements (on SQLite each read also runs `PRAGMA table_info`).
 * Columns and types come from the model's definition, so the two ways of reading a row agree (tested).
 */
export interface RowStore<A extends object> {
  /**
   * The row with this primary key, or null. With `sql` (an engine command's `within`), read in that
   * transaction: as the command's own writes left it, and from the connection that is writing anyway.
   */
  get(id: number, sql?: TxSql): Promise<A | null>;
  /**
   * Sets the given attributes (and `updatedAt` when the model has timestamps); returns the rows changed.
   * With `current` (the row as read), attributes that already hold their value are left out, and nothing is
   * written when none changes (as Sequelize's `row.update` does). With `sql`, the statement runs there (a job
   * completion's transaction: CompleteJobRequest.within) instead of on a connection of its own.
   */
  update(id: number, patch: Partial<A>, current?: A, sql?: WriteSql): Promise<number>;
  /** The first row (lowest id) whose attributes equal the given values, or null. */
  find(where: Partial<A>): Promise<A | null>;
  /**
   * Inserts a row in the transaction `sql` (an engine command's: createProcessInstance's `within`) and returns
   * it as `get` would read it back: the given attributes, the model's defaults for the others (null where it
   * has none, as for Sequelize's `Model.create`), `createdAt`/`updatedAt` when the model has timestamps, and
   * the new id.
   */
  insert(values: Partial<A>, sql: WriteSql): Promise<A>;
}

/** Where a write can run instead: the SQL of an open transaction. */
export interface WriteSql {
  run(sql: string, params?: readonly unknown[]): Promise<unknown>;
}

/** The SQL of an open transaction, reads and writes: what an engine command's `within` is given. */
export interface TxSql extends WriteSql {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
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
    const d = a.defaultValue;
    const plain = d === null || ['string', 'number', 'boolean'].includes(typeof d);
    return {
      attribute,
      field: a.field ?? attribute,
      kind,
      defaultValue: plain ? d : undefined,
      autoIncrement: a.autoIncrement === true,
    };
  });
  const byAttribute = new Map(columns.map((c) => [c.attribute, c]));
  const timestamps = byAttribute.has('updatedAt') && model.options.timestamps !== false;
  const selectList = `SELECT ${columns.map((c) => c.field).join(', ')} FROM ${table}`;
  const select = `${selectList} WHERE id = ?`;
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
  const column = (attribute: string): Column => {
    const c = byAttribute.get(attribute);
    if (!c) throw new Error(`${table} has no attribute ${attribute}`);
    return c;
  };
  const fromRow = (row: Record<string, unknown>): A => {
    const out: Record<string, unknown> = {};
    for (const c of columns) out[c.attribute] = fromColumn(c, row[c.field]);
    return out as A;
  };
  return {
    async get(id, tx) {
      const rows = await (tx ?? sql).all<Record<string, unknown>>(select, [id]);
      return rows.length === 0 ? null : fromRow(rows[0]);
    },
    async find(where) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      for (const [attribute, v] of Object.entries(where)) {
        if (v === undefined) continue;
        const c = column(attribute);
        if (v === null) conditions.push(`${c.field} IS NULL`);
        else {
          conditions.push(`${c.field} = ?`);
          params.push(toParam(c, v));
        }
      }
      const text = `${selectList}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY id LIMIT 1`;
      const rows = await sql.all<Record<string, unknown>>(text, params);
      return rows.length === 0 ? null : fromRow(rows[0]);
    },
    async insert(values, into) {
      const row: Record<string, unknown> = {};
      // MySQL keeps DATE columns to the second (DATETIME): stamp what it will store.
      const now = new Date(sql.dialect === 'mysql' ? Math.floor(Date.now() / 1000) * 1000 : Date.now());
      for (const c of columns) {
        const given = (values as Record<string, unknown>)[c.attribute];
        if (given !== undefined) row[c.attribute] = given;
        else if (timestamps && (c.attribute === 'createdAt' || c.attribute === 'updatedAt'))
          row[c.attribute] = now;
        else if (!c.autoIncrement) row[c.attribute] = c.defaultValue ?? null;
      }
      for (const attribute of Object.keys(values)) column(attribute);
      const written = columns.filter((c) => c.attribute in row);
      const result = (await into.run(
        `INSERT INTO ${table} (${written.map((c) => c.field).join(', ')}) VALUES (${written.map(() => '?').join(', ')})`,
        written.map((c) => toParam(c, row[c.attribute])),
      )) as { insertId?: number } | undefined;
      const out: Record<string, unknown> = {};
      for (const c of written) out[c.attribute] = fromColumn(c, toParam(c, row[c.attribute]));
      if (!('id' in row)) {
        const id = Number(result?.insertId);
        if (!Number.isInteger(id) || id <= 0) throw new Error(`INSERT INTO ${table} returned no id`);
        out.id = id;
      }
      return out as A;
    },
    async update(id, patch, current, into) {
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const [attribute, v] of Object.entries(patch)) {
        if (v === undefined) continue;
        if (current && sameValue((current as Record<string, unknown>)[attribute], v)) continue;
        const c = column(attribute);
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
