import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

/** Raw SQL with `?` parameters through Sequelize, optionally in a transaction (services, scripts). */
export function sequelizeSql(sequelize: Sequelize, transaction?: Transaction) {
  const dialect: 'sqlite' | 'mysql' = sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
  return {
    dialect,
    all: <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> =>
      sequelize.query(sql, { replacements: [...params], type: QueryTypes.SELECT, transaction }) as Promise<
        T[]
      >,
    run: async (sql: string, params: readonly unknown[] = []): Promise<unknown> =>
      sequelize.query(sql, { replacements: [...params], transaction }),
  };
}

interface DriverConnection {
  /** sqlite (db/sqlite-driver.ts) */
  all?(sql: string, params: unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  run?(sql: string, params: unknown[], cb: (this: { changes: number }, err: Error | null) => void): void;
  /** mysql2 */
  query?(options: { sql: string; values: unknown[] }, cb: (err: Error | null, result: unknown) => void): void;
}

/** Observers of every statement `directSql` runs (the case benchmark's --explain); empty in production. */
export const directStatementObservers = new Set<(sql: string, params: readonly unknown[]) => void>();

interface ConnectionManager {
  getConnection(options: { type: string; uuid?: string }): Promise<DriverConnection>;
  releaseConnection(connection: DriverConnection): Promise<void>;
}

/**
 * Raw SQL with `?` parameters straight on a pooled driver connection, outside any transaction: for reads and
 * single-statement writes on the request path (the session lookup runs on every request). It skips
 * Sequelize's query pipeline (parameter inlining, which on SQLite also defeats the statement cache, result
 * parsing, hooks) that costs more CPU than the statement itself. Values are bound by the driver.
 */
export function directSql(sequelize: Sequelize) {
  const dialect: 'sqlite' | 'mysql' = sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const withConnection = async <T>(
    type: 'SELECT' | 'RAW',
    fn: (c: DriverConnection, done: (err: Error | null, value?: T) => void) => void,
  ): Promise<T> => {
    // SQLite: the shared default connection, which Sequelize keeps open (never released: releasing a
    // connection that carries a transaction id closes it). MySQL: one from the pool, given back after.
    const connection = await manager.getConnection(
      dialect === 'sqlite' ? { type, uuid: 'default' } : { type },
    );
    try {
      return await new Promise<T>((resolve, reject) =>
        fn(connection, (e, v) => (e ? reject(e) : resolve(v as T))),
      );
    } finally {
      if (dialect === 'mysql') await manager.releaseConnection(connection);
    }
  };
  return {
    dialect,
    all: <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> =>
      withConnection<T[]>('SELECT', (c, done) => {
        for (const observe of directStatementObservers) observe(sql, params);
        if (dialect === 'sqlite') c.all!(sql, [...params], (err, rows) => done(err, rows as T[]));
        else c.query!({ sql, values: [...params] }, (err, rows) => done(err, rows as T[]));
      }),
    /** Returns the number of rows changed. */
    run: (sql: string, params: readonly unknown[] = []): Promise<number> =>
      withConnection<number>('RAW', (c, done) =>
        dialect === 'sqlite'
          ? c.run!(sql, [...params], function (err) {
              done(err, err ? 0 : this.changes);
            })
          : c.query!({ sql, values: [...params] }, (err, r) =>
              done(err, err ? 0 : (r as { affectedRows: number }).affectedRows),
            ),
      ),
  };
}
