import { Sequelize, Transaction } from 'sequelize';
import type { DatabaseTarget } from '../server/config.ts';
import { createSqliteDriver } from './sqlite-driver.ts';

/** Options for opening the application database. */
export interface ConnectionOptions {
  target: DatabaseTarget;
  /** Log every SQL statement (debugging only). */
  logSql?: (sql: string) => void;
}

/**
 * Opens the one Sequelize connection the application and the embedded engine share.
 * SQLite runs in WAL mode with a busy timeout on every connection; MySQL connections read committed data,
 * so that a locking command sees what others committed since its transaction began.
 */
export function openDatabase(options: ConnectionOptions): Sequelize {
  const logging = options.logSql ? (sql: string) => options.logSql?.(sql) : false;
  const { target } = options;
  if (target.dialect === 'sqlite') {
    return new Sequelize({
      dialect: 'sqlite',
      storage: target.storage,
      logging,
      dialectModule: createSqliteDriver({
        // The engine checkpoints from a worker thread (engine/embedded/checkpointer.ts); a connection checkpoints
        // itself only once the WAL passes 10 000 pages (40 MB), as a safety net. Temporary storage in memory:
        // every engine command runs in a savepoint, whose statement journal SQLite otherwise writes to a
        // temp file, a pwrite per page on the server's thread (bench/README.md, session 8: the write batches
        // 4.7 → 2.2 ms per case).
        pragmas: [
          'journal_mode = WAL',
          `synchronous = ${target.synchronous}`,
          'foreign_keys = ON',
          'wal_autocheckpoint = 10000',
          'temp_store = MEMORY',
        ],
        busyTimeoutMs: 10_000,
      }),
      // IMMEDIATE: a transaction takes the write lock when it begins, so two writers never deadlock
      // upgrading their read locks (SQLITE_BUSY_SNAPSHOT, which no retry can cure).
      transactionType: Transaction.TYPES.IMMEDIATE,
      define: { underscored: true },
    });
  }
  const sequelize = new Sequelize(target.url, {
    dialect: 'mysql',
    logging,
    pool: { max: target.poolMax, min: 0, idle: 30_000, acquire: 60_000 },
    dialectOptions: {
      supportBigNumbers: true,
      bigNumberStrings: false,
      charset: 'utf8mb4',
      multipleStatements: true,
    },
    define: { underscored: true, charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
    hooks: {
      // mysql2 connections: read committed for the whole session (a locking command sees what others
      // committed since its transaction began), UTC for timestamps.
      afterConnect: async (connection: unknown) => {
        const conn = connection as { query: (sql: string, cb: (err: Error | null) => void) => void };
        const run = (sql: string): Promise<void> =>
          new Promise((resolve, reject) => conn.query(sql, (err) => (err ? reject(err) : resolve())));
        await run('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        await run("SET time_zone = '+00:00'");
      },
    },
    timezone: '+00:00',
  });
  return sequelize;
}

/** The dialect of an open database, as the engine's SQL needs it. */
export function dialectOf(sequelize: Sequelize): 'sqlite' | 'mysql' {
  const d = sequelize.getDialect();
  if (d === 'sqlite' || d === 'mysql' || d === 'mariadb') return d === 'sqlite' ? 'sqlite' : 'mysql';
  throw new Error(`Unsupported database dialect: ${d}`);
}
