import type { Sequelize, Transaction } from 'sequelize';
import { QueryTypes } from 'sequelize';

/** The two SQL dialects the engine speaks. */
export type Dialect = 'sqlite' | 'mysql';

/** Result of a write statement. */
export interface RunResult {
  changes: number;
  /** SQLite: rowid of the last inserted row; MySQL: id of the first row of a multi-row insert. */
  insertId: number;
}

/**
 * The engine's hot-path SQL access: statements with `?` parameters on the raw driver connection of a
 * Sequelize transaction. Model calls and even `sequelize.query` cost more CPU than the statements
 * themselves here (KNOWN.md); the transaction, pool and connection are still Sequelize's.
 */
export interface Sql {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>;
  /**
   * Runs several write statements in one round trip to the database; with `commit`, the transaction's
   * COMMIT goes in the same round trip (only on the SQL of an engine transaction).
   */
  batch(statements: readonly Statement[], options?: { commit?: boolean }): Promise<RunResult[] | void>;
  /** Opens the transaction now, if it opens lazily (before code that bypasses this Sql writes in it). */
  begin?(): Promise<void>;
}

/** A statement with `?` parameters. */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

interface Sqlite3Connection {
  exec(sql: string, cb: (err: Error | null) => void): void;
  /** db/sqlite-driver.ts: statements with parameters in one operation. */
  runBatch?(statements: readonly Statement[], cb: (err: Error | null) => void): void;
  all(sql: string, params: unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  run(
    sql: string,
    params: unknown[],
    cb: (this: { changes: number; lastID: number }, err: Error | null) => void,
  ): void;
}

interface Mysql2Connection {
  query(options: { sql: string; values: unknown[] }, cb: (err: Error | null, result: unknown) => void): void;
}

/** SQL on the connection of an open transaction. */
export function transactionSql(dialect: Dialect, transaction: Transaction): Sql {
  const connection = (transaction as unknown as { connection: unknown }).connection;
  if (dialect === 'sqlite') {
    const db = connection as Sqlite3Connection;
    return {
      dialect,
      all: <T>(sql: string, params: readonly unknown[] = []) =>
        new Promise<T[]>((resolve, reject) =>
          db.all(sql, params as unknown[], (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
        ),
      run: (sql, params = []) =>
        new Promise<RunResult>((resolve, reject) =>
          db.run(sql, params as unknown[], function (err) {
            if (err) reject(err);
            else resolve({ changes: this.changes, insertId: this.lastID });
          }),
        ),
      batch: (statements) =>
        statements.length === 0
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              const done = (err: Error | null): void => (err ? reject(err) : resolve());
              if (db.runBatch) db.runBatch(statements, done);
              else db.exec(statements.map((st) => inlineSqlite(st.sql, st.params)).join(';\n'), done);
            }),
    };
  }
  const conn = connection as Mysql2Connection;
  // A text holding several statements (the connection allows them, db/connection.ts) returns one result
  // per statement: the caller of all() or run() wants the last one.
  const last = (result: unknown, sql: string): unknown =>
    sql.includes(';') && Array.isArray(result) && isResultList(result) ? result[result.length - 1] : result;
  return {
    dialect,
    all: <T>(sql: string, params: readonly unknown[] = []) =>
      new Promise<T[]>((resolve, reject) =>
        conn.query({ sql, values: params as unknown[] }, (err, rows) =>
          err ? reject(err) : resolve(last(rows, sql) as T[]),
        ),
      ),
    run: (sql, params = []) =>
      new Promise<RunResult>((resolve, reject) =>
        conn.query({ sql, values: params as unknown[] }, (err, result) => {
          if (err) return reject(err);
          const r = last(result, sql) as { affectedRows: number; insertId: number };
          resolve({ changes: r.affectedRows, insertId: r.insertId });
        }),
      ),
    batch: async (statements) => {
      const results: RunResult[] = [];
      // mysql2 escapes every parameter into the text of the multi-statement query.
      for (let i = 0; i < statements.length; i += 50) {
        const chunk = statements.slice(i, i + 50);
        const out = await new Promise<unknown>((resolve, reject) =>
          conn.query(
            { sql: chunk.map((st) => st.sql).join(';\n'), values: chunk.flatMap((st) => [...st.params]) },
            (err, result) => (err ? reject(err) : resolve(result)),
          ),
        );
        const list = chunk.length === 1 ? [out] : (out as unknown[]);
        for (const r of list) {
          const h = r as { affectedRows?: number; insertId?: number };
          results.push({ changes: h?.affectedRows ?? 0, insertId: h?.insertId ?? 0 });
        }
      }
      return results;
    },
  };
}

/**
 * The exporters' SQL: a write waits instead of going out (`run` resolves at once, its result counting
 * nothing), a read first sends what waits (so it sees every earlier write), and `flush` sends the rest with
 * the COMMIT when asked. On MySQL every statement was a round trip of its own: a command's exporters (the
 * task projection, the audit log) wrote five to ten of them one by one before the COMMIT; now their writes
 * go out with it. On SQLite it saves the hops of a statement per write.
 */
export class DeferredWritesSql implements Sql {
  readonly dialect: Dialect;
  private readonly waiting: Statement[] = [];

  constructor(private readonly base: Sql) {
    this.dialect = base.dialect;
  }

  async all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    await this.send();
    return this.base.all<T>(sql, params);
  }

  run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    this.waiting.push({ sql, params });
    return Promise.resolve({ changes: 0, insertId: 0 });
  }

  batch(statements: readonly Statement[]): Promise<void> {
    this.waiting.push(...statements);
    return Promise.resolve();
  }

  begin(): Promise<void> {
    return this.base.begin?.() ?? Promise.resolve();
  }

  /** Sends what waits; with `commit`, the transaction's COMMIT goes in the same round trip. */
  async flush(options: { commit?: boolean } = {}): Promise<void> {
    const statements = this.waiting.splice(0);
    if (statements.length > 0 || options.commit) await this.base.batch(statements, options);
  }

  private async send(): Promise<void> {
    if (this.waiting.length > 0) await this.base.batch(this.waiting.splice(0));
  }
}

/** A multi-statement result: one entry per statement (result headers or row lists). */
function isResultList(result: unknown[]): boolean {
  return (
    result.length > 0 &&
    result.every((r) => Array.isArray(r) || (typeof r === 'object' && r !== null && 'affectedRows' in r))
  );
}

/**
 * Formats a statement with its parameters inlined as SQLite literals, for `exec` (which takes no
 * parameters). Only numbers, strings, booleans and null reach here; strings are quoted with '' doubling,
 * and a string holding a NUL byte becomes a hex blob cast to text.
 */
export function inlineSqlite(sql: string, params: readonly unknown[]): string {
  let i = 0;
  const out = sql.replace(/\?/g, () => {
    if (i >= params.length) throw new Error(`Too few parameters for: ${sql}`);
    return sqliteLiteral(params[i++]);
  });
  if (i !== params.length) throw new Error(`Too many parameters for: ${sql}`);
  return out;
}

function sqliteLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`Not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'string') {
    if (v.includes('\0')) return `CAST(X'${Buffer.from(v, 'utf8').toString('hex')}' AS TEXT)`;
    return `'${v.replace(/'/g, "''")}'`;
  }
  throw new Error(`Unsupported SQL parameter type: ${typeof v}`);
}

/** SQL outside a transaction (reads), through Sequelize's pool. */
export function poolSql(dialect: Dialect, sequelize: Sequelize): Sql {
  return {
    dialect,
    all: <T>(sql: string, params: readonly unknown[] = []) =>
      sequelize.query(sql, {
        replacements: params as unknown[],
        type: QueryTypes.SELECT,
        raw: true,
      }) as Promise<T[]>,
    run: async (sql, params = []) => {
      const [result, meta] = (await sequelize.query(sql, {
        replacements: params as unknown[],
        raw: true,
      })) as [unknown, unknown];
      if (dialect === 'sqlite') {
        const m = meta as { changes?: number; lastID?: number } | undefined;
        return { changes: m?.changes ?? 0, insertId: m?.lastID ?? 0 };
      }
      const r = result as { affectedRows?: number; insertId?: number };
      return { changes: r.affectedRows ?? 0, insertId: r.insertId ?? 0 };
    },
    batch: async (statements) => {
      for (const st of statements)
        await sequelize.query(st.sql, { replacements: st.params as unknown[], raw: true });
    },
  };
}

/** `?, ?, ?` for an IN list or a VALUES row of n parameters. */
export function placeholders(n: number): string {
  return n <= 0 ? '' : '?' + ', ?'.repeat(n - 1);
}

/** Texts of multi-row INSERTs: by table, then by columns, then by row count (see insertText). */
const insertTexts = new Map<string, { columns: readonly string[]; byCount: Map<number, string> }[]>();

/**
 * The text of a multi-row INSERT, the same string object each time for the same table, columns and row count:
 * the SQLite driver finds its prepared statement by the text, and a string it has seen is found without
 * hashing and comparing a new one of a few hundred characters (the engine inserts history, variables and
 * element instances this way in every command). Found without building a string: table and column names are
 * the callers' literals.
 */
function insertText(table: string, columns: readonly string[], rowCount: number): string {
  let shapes = insertTexts.get(table);
  if (!shapes) insertTexts.set(table, (shapes = []));
  let shape = shapes.find(
    (s) => s.columns.length === columns.length && s.columns.every((c, i) => c === columns[i]),
  );
  if (!shape) {
    if (shapes.length >= 8) shapes.length = 0;
    shapes.push((shape = { columns: [...columns], byCount: new Map() }));
  }
  let text = shape.byCount.get(rowCount);
  if (text === undefined) {
    const row = `(${placeholders(columns.length)})`;
    text = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${new Array(rowCount).fill(row).join(', ')}`;
    if (shape.byCount.size >= 250) shape.byCount.clear();
    shape.byCount.set(rowCount, text);
  }
  return text;
}

/** Inserts rows in chunks with multi-row VALUES; returns the positions of inserted auto-increment ids. */
export async function insertRows(
  sql: Sql,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  chunkSize = 200,
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += chunkSize) {
    const chunk = rows.slice(i, i + chunkSize);
    const params: unknown[] = [];
    for (const r of chunk) params.push(...r);
    const res = await sql.run(insertText(table, columns, chunk.length), params);
    // SQLite reports the last rowid, MySQL the first id of the statement; both are consecutive here.
    const first = sql.dialect === 'sqlite' ? res.insertId - chunk.length + 1 : res.insertId;
    for (let j = 0; j < chunk.length; j++) ids.push(first + j);
  }
  return ids;
}

/** Deletes rows whose `column` is in `keys`, in chunks. */
export async function deleteWhereIn(
  sql: Sql,
  table: string,
  column: string,
  keys: readonly unknown[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    await sql.run(`DELETE FROM ${table} WHERE ${column} IN (${placeholders(chunk.length)})`, chunk);
  }
}

/** `FOR UPDATE` on MySQL; nothing on SQLite, where the single writer already serialises commands. */
export function forUpdate(dialect: Dialect, skipLocked = false): string {
  if (dialect === 'sqlite') return '';
  return skipLocked ? ' FOR UPDATE SKIP LOCKED' : ' FOR UPDATE';
}
