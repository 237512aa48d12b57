import sqlite3 from 'sqlite3';

/** Options for the SQLite driver handed to Sequelize as `dialectModule`. */
export interface SqliteDriverOptions {
  /** PRAGMA statements run on every new physical connection (they are per connection in SQLite). */
  pragmas: string[];
}

type Callback = (err: Error | null) => void;
type PooledDb = sqlite3.Database & { physicalClose?: (cb?: Callback) => void };

/**
 * A `sqlite3` look-alike for Sequelize's `dialectModule`.
 *
 * Sequelize opens a new sqlite3 connection for every transaction and closes it at the end, which costs an
 * open, a schema parse and the PRAGMAs each time, and loses PRAGMAs such as `busy_timeout` (they are per
 * connection). This driver applies the PRAGMAs to every physical connection and keeps closed ones in a
 * small idle pool per file, so a transaction reuses a warm connection.
 */
export function createSqliteDriver(options: SqliteDriverOptions): typeof sqlite3 {
  const idle = new Map<string, PooledDb[]>();
  const pragmaSql = options.pragmas.map((p) => `PRAGMA ${p};`).join('\n');

  function PooledDatabase(this: unknown, filename: string, mode?: number, callback?: Callback): PooledDb {
    const cb: Callback = typeof mode === 'function' ? (mode as Callback) : (callback ?? (() => {}));
    const openMode = typeof mode === 'number' ? mode : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    const pool = filename === ':memory:' ? undefined : (idle.get(filename) ?? []);
    if (pool && !idle.has(filename)) idle.set(filename, pool);
    const reused = pool?.pop();
    if (reused) {
      process.nextTick(() => cb(null));
      return reused;
    }
    const db: PooledDb = new sqlite3.Database(filename, openMode, (err) => {
      if (err) return cb(err);
      db.exec(pragmaSql, (pragmaErr) => cb(pragmaErr ?? null));
    });
    if (pool) {
      const physicalClose = db.close.bind(db);
      db.physicalClose = physicalClose;
      // Sequelize "closes" a transaction's connection when it ends: park it instead.
      db.close = ((closeCb?: Callback) => {
        if (pool.length < 8) pool.push(db);
        else physicalClose();
        if (closeCb) process.nextTick(() => closeCb(null));
        return db;
      }) as typeof db.close;
    }
    return db;
  }

  return { ...sqlite3, Database: PooledDatabase as unknown as typeof sqlite3.Database } as typeof sqlite3;
}
