import { randomUUID } from 'node:crypto';
import { type Sequelize, Transaction } from 'sequelize';
import { type Dialect, type Sql, type Statement, transactionSql } from './sql.ts';

/** An open engine transaction: raw SQL for the engine, and a Sequelize view of it for exporters' models. */
export interface EngineTransaction {
  sql: Sql;
  /** The same database transaction as a Sequelize `Transaction`: pass it to model calls as `{ transaction }`. */
  transaction: Transaction;
}

interface ConnectionManager {
  getConnection(options?: { uuid?: string; type?: 'read' | 'write' }): Promise<unknown>;
  releaseConnection(connection: unknown): void;
  destroyConnection?(connection: unknown): Promise<void>;
}

/** A FIFO async mutex. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  /** Waits for the lock; call the returned function to release it. */
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    await previous;
    return release;
  }
}

/**
 * Runs engine transactions on connections taken from Sequelize's connection manager, driving
 * BEGIN/COMMIT on the raw driver. Sequelize's own query pipeline costs several times the statements
 * themselves on the engine's hot path (a stack trace per query, per-query connection set-up on SQLite),
 * so the engine does not use it; the connections, pool and configuration are still Sequelize's.
 *
 * SQLite: one writer connection kept for the engine, writers queue on a mutex (SQLite has one writer),
 * plus one reader connection (WAL lets it read while the writer writes).
 * MySQL: a pool connection per transaction; concurrency is governed by row locks.
 */
export class TransactionRunner {
  readonly dialect: Dialect;
  private readonly sequelize: Sequelize;
  private readonly manager: ConnectionManager;
  private readonly writeLock = new Mutex();
  private writer: Promise<unknown> | null = null;
  private reader: Promise<unknown> | null = null;
  private readonly id = randomUUID();

  constructor(sequelize: Sequelize, dialect: Dialect) {
    this.sequelize = sequelize;
    this.dialect = dialect;
    this.manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  }

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  async run<T>(work: (tx: EngineTransaction) => Promise<T>, afterCommit?: (value: T) => void): Promise<T> {
    if (this.dialect === 'sqlite') {
      const release = await this.writeLock.acquire();
      try {
        this.writer ??= this.manager.getConnection({ uuid: `gridflow-engine-writer-${this.id}` });
        const connection = await this.writer;
        // Reads need no transaction here: only this engine writes its tables and its writers queue on the
        // mutex, so what it reads before BEGIN is what it writes over. The first write opens the transaction.
        const value = await this.inTransaction(connection, true, work);
        afterCommit?.(value);
        return value;
      } finally {
        release();
      }
    }
    const connection = await this.manager.getConnection({ type: 'write' });
    let broken = false;
    try {
      const value = await this.inTransaction(connection, false, work, () => (broken = true));
      afterCommit?.(value);
      return value;
    } finally {
      if (broken && this.manager.destroyConnection) await this.manager.destroyConnection(connection);
      else this.manager.releaseConnection(connection);
    }
  }

  private async inTransaction<T>(
    connection: unknown,
    lazyBegin: boolean,
    work: (tx: EngineTransaction) => Promise<T>,
    onBroken?: () => void,
  ): Promise<T> {
    const transaction = facade(this.sequelize, connection);
    const sql = new TrackedSql(
      transactionSql(this.dialect, transaction),
      this.dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'START TRANSACTION',
    );
    if (!lazyBegin) await sql.begin();
    let value: T;
    try {
      value = await work({ sql, transaction });
      await sql.commit();
    } catch (err) {
      try {
        await sql.rollback();
      } catch {
        onBroken?.();
      }
      (transaction as unknown as { finished: string }).finished = 'rollback';
      throw err;
    }
    (transaction as unknown as { finished: string }).finished = 'commit';
    for (const hook of (transaction as unknown as { _afterCommitHooks: ((t: Transaction) => void)[] })
      ._afterCommitHooks) {
      hook(transaction);
    }
    return value;
  }

  /** SQL for reads outside any transaction. */
  readSql(): Sql {
    const dialect = this.dialect;
    if (dialect === 'sqlite') {
      const connection = (): Promise<unknown> =>
        (this.reader ??= this.manager.getConnection({ uuid: `gridflow-engine-reader-${this.id}` }));
      return {
        dialect,
        all: async (text, params) => transactionSql(dialect, facadeOf(await connection())).all(text, params),
        run: async (text, params) => transactionSql(dialect, facadeOf(await connection())).run(text, params),
        batch: async (statements) => transactionSql(dialect, facadeOf(await connection())).batch(statements),
      };
    }
    const withConnection = async <R>(fn: (sql: Sql) => Promise<R>): Promise<R> => {
      const connection = await this.manager.getConnection({ type: 'read' });
      try {
        return await fn(transactionSql(dialect, facadeOf(connection)));
      } finally {
        this.manager.releaseConnection(connection);
      }
    };
    return {
      dialect,
      all: (text, params) => withConnection((sql) => sql.all(text, params)),
      run: (text, params) => withConnection((sql) => sql.run(text, params)),
      batch: (statements) => withConnection((sql) => sql.batch(statements)),
    };
  }
}

/**
 * The SQL of one transaction: opens it (lazily, on SQLite, with the first write), and lets the last batch
 * carry the COMMIT so that a command's writes and its commit are one round trip.
 */
class TrackedSql implements Sql {
  readonly dialect: Dialect;
  private began = false;
  private committed = false;

  constructor(
    private readonly base: Sql,
    private readonly beginStatement: string,
  ) {
    this.dialect = base.dialect;
  }

  async begin(): Promise<void> {
    if (this.began) return;
    this.began = true;
    await this.base.run(this.beginStatement);
  }

  all<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
    return this.base.all<T>(text, params);
  }

  async run(text: string, params?: readonly unknown[]) {
    await this.begin();
    return this.base.run(text, params);
  }

  async batch(statements: readonly Statement[], options: { commit?: boolean } = {}): Promise<void> {
    const all: Statement[] = [];
    if (!this.began && (statements.length > 0 || options.commit)) {
      all.push({ sql: this.beginStatement, params: [] });
      this.began = true;
    }
    all.push(...statements);
    if (options.commit && this.began) all.push({ sql: 'COMMIT', params: [] });
    if (all.length === 0) return;
    await this.base.batch(all);
    if (options.commit) this.committed = true;
  }

  async commit(): Promise<void> {
    if (this.committed || !this.began) return;
    await this.base.run('COMMIT');
    this.committed = true;
  }

  async rollback(): Promise<void> {
    if (!this.began || this.committed) return;
    await this.base.run('ROLLBACK');
  }
}

/** Only the connection, for transactionSql. */
function facadeOf(connection: unknown): Transaction {
  return { connection } as unknown as Transaction;
}

/**
 * A Sequelize Transaction object over a connection whose BEGIN/COMMIT the engine drives: model calls with
 * `{ transaction }` run on that connection, inside the engine's transaction; `afterCommit` hooks run after
 * the engine commits.
 */
function facade(sequelize: Sequelize, connection: unknown): Transaction {
  const t = Object.create(Transaction.prototype) as Transaction;
  Object.assign(t, {
    sequelize,
    savepoints: [],
    _afterCommitHooks: [],
    id: randomUUID(),
    options: { type: undefined, isolationLevel: null, readOnly: false },
    parent: undefined,
    name: undefined,
    connection,
  });
  return t;
}
