import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Sequelize, Transaction } from 'sequelize';
import { type Dialect, type RunResult, type Sql, type Statement, transactionSql } from './sql.ts';
import { WalSync } from './wal-sync.ts';

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

/** Most commands one SQLite group commit carries. */
const MAX_GROUP = 64;

/**
 * How long a SQLite group stays open for commands that arrive while it runs (ms from its BEGIN). Every
 * statement on better-sqlite3 finishes on the calling thread, so a command usually runs to its COMMIT within
 * the event-loop turn that started it, and the requests already waiting on their sockets would each pay an
 * fsync of their own. Before committing, the group yields one turn (setImmediate: after the pending I/O
 * callbacks) and takes in the commands those callbacks queued.
 */
const GROUP_WINDOW_MS = 4;

/**
 * How long a group may stay open while the previous group's WAL sync runs (ms from its BEGIN): its commands
 * wait for the next sync in any case, so commands that arrive meanwhile join it (ADR 0008).
 */
const GROUP_HOLD_MS = 8;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface GroupItem {
  work: (tx: EngineTransaction) => Promise<unknown>;
  afterCommit?: (value: unknown) => void;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** The SQL a command sees inside a group: the group's runner begins and commits, not the command. */
class SavepointSql implements Sql {
  readonly dialect: Dialect;
  constructor(private readonly base: Sql) {
    this.dialect = base.dialect;
  }
  all<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
    return this.base.all<T>(text, params);
  }
  run(text: string, params?: readonly unknown[]) {
    return this.base.run(text, params);
  }
  batch(statements: readonly Statement[]): Promise<RunResult[] | void> {
    return this.base.batch(statements);
  }
}

/** A FIFO counting semaphore. */
class Semaphore {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}
  /** Waits for a slot; call the returned function to give it back. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
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
  private writer: Promise<unknown> | null = null;
  private reader: Promise<unknown> | null = null;
  /** SQLite with `synchronous = FULL` asked for: the writer's WAL, synced from the thread pool (ADR 0008). */
  private walSync: WalSync | null = null;
  private readonly id = randomUUID();

  constructor(sequelize: Sequelize, dialect: Dialect) {
    this.sequelize = sequelize;
    this.dialect = dialect;
    this.manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
    const poolMax = (sequelize as unknown as { options: { pool?: { max?: number } } }).options.pool?.max;
    this.commandSlots = new Semaphore(Math.max(1, (poolMax ?? 5) - 1));
  }

  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. On SQLite,
   * commands that queue up while one runs are committed together (group commit: one fsync for many), each
   * in its own savepoint, so a failing command rolls back alone; a command's promise resolves only after
   * the commit that made it durable.
   */
  async run<T>(work: (tx: EngineTransaction) => Promise<T>, afterCommit?: (value: T) => void): Promise<T> {
    if (this.dialect === 'sqlite') {
      return new Promise<T>((resolve, reject) => {
        this.pending.push({
          work: work as GroupItem['work'],
          afterCommit: afterCommit as GroupItem['afterCommit'],
          resolve: resolve as GroupItem['resolve'],
          reject,
        });
        this.arrived?.();
        if (!this.draining) void this.drainGroups();
      });
    }
    const leave = await this.commandSlots.acquire();
    try {
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
    } finally {
      leave();
    }
  }

  /**
   * MySQL: how many commands may hold a pool connection at once. A command's own code (a job's or a
   * completion's `within`) may read through another pool connection while it holds its transaction's;
   * with every connection held by such commands, each waiting for a second one, the pool would deadlock
   * until its acquire timeout. One connection is always left to the others.
   */
  private readonly commandSlots: Semaphore;

  private readonly pending: GroupItem[] = [];
  /** GROUP_HOLD_MS; a test on a loaded machine may allow more. */
  groupHoldMs = GROUP_HOLD_MS;
  /** Wakes a group held open for the WAL sync (below) when a command arrives. */
  private arrived: (() => void) | null = null;
  private draining = false;

  /** Called when a transaction's outcome is a rollback of work that had succeeded (a failed group commit). */
  onGroupRollback: (() => void) | null = null;

  private async drainGroups(): Promise<void> {
    this.draining = true;
    try {
      this.writer ??= this.manager
        .getConnection({ uuid: `gridflow-engine-writer-${this.id}` })
        .then(async (connection) => {
          await this.syncOffThread(connection);
          return connection;
        });
      const connection = await this.writer;
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, MAX_GROUP);
        await this.runGroup(connection, group);
      }
    } catch (err) {
      for (const item of this.pending.splice(0)) item.reject(err);
    } finally {
      this.draining = false;
    }
  }

  /**
   * A file database configured `synchronous = FULL` (the default) would fsync the WAL inside every COMMIT,
   * on the server's thread. The writer commits with NORMAL instead and `WalSync` syncs the WAL from the thread
   * pool before the group's commands are answered: the same durability for what callers are told, with the
   * thread free for the next group meanwhile. Other connections keep the configured setting.
   */
  private async syncOffThread(connection: unknown): Promise<void> {
    const storage = (this.sequelize as unknown as { options: { storage?: string } }).options.storage ?? '';
    if (storage === '' || storage === ':memory:' || storage.startsWith('file:')) return;
    const sql = transactionSql(this.dialect, facadeOf(connection));
    const [mode] = await sql.all<{ synchronous: number }>('PRAGMA synchronous');
    const [journal] = await sql.all<{ journal_mode: string }>('PRAGMA journal_mode');
    if (Number(mode?.synchronous) < 2 || journal?.journal_mode?.toLowerCase() !== 'wal') return;
    await sql.run('PRAGMA synchronous = NORMAL');
    this.walSync = new WalSync(`${storage}-wal`);
  }

  /** Waits for the syncs asked for so far and releases the WAL file (a later command opens it again). */
  async close(): Promise<void> {
    await this.walSync?.close();
  }

  private async runGroup(connection: unknown, group: GroupItem[]): Promise<void> {
    const transaction = facade(this.sequelize, connection);
    const base = transactionSql(this.dialect, transaction);
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await base.run('BEGIN IMMEDIATE');
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    const began = performance.now();
    for (let i = 0; ; i++) {
      if (i === group.length) {
        // Everything queued so far ran: let the commands of requests already received join this commit.
        const window = this.walSync?.busy ? this.groupHoldMs : GROUP_WINDOW_MS;
        if (group.length >= MAX_GROUP || performance.now() - began > window) break;
        if (this.pending.length === 0) await nextTurn();
        // While the previous group's sync runs, this group's commands could not be answered before the next
        // sync anyway: keep it open for the commands that arrive until then (fewer, larger commits).
        if (this.pending.length === 0 && this.walSync?.busy && performance.now() - began < this.groupHoldMs) {
          await Promise.race([this.walSync.idle(), new Promise<void>((resolve) => (this.arrived = resolve))]);
          this.arrived = null;
        }
        if (this.pending.length === 0) break;
        group.push(...this.pending.splice(0, MAX_GROUP - group.length));
      }
      const item = group[i];
      const sql = new SavepointSql(base);
      try {
        await base.run('SAVEPOINT command');
        const value = await item.work({ sql, transaction });
        await base.run('RELEASE command');
        outcomes.push({ ok: true, value });
      } catch (error) {
        try {
          await base.run('ROLLBACK TO command');
          await base.run('RELEASE command');
        } catch {
          // The transaction is gone (SQLite rolled it back itself): the whole group fails below.
        }
        outcomes.push({ ok: false, error });
      }
    }
    try {
      await base.run('COMMIT');
    } catch (err) {
      try {
        await base.run('ROLLBACK');
      } catch {
        // nothing left to roll back
      }
      this.onGroupRollback?.();
      group.forEach((item, i) => {
        const o = outcomes[i];
        item.reject(o.ok ? err : o.error);
      });
      return;
    }
    (transaction as unknown as { finished: string }).finished = 'commit';
    const settle = (): void => {
      for (const hook of (transaction as unknown as { _afterCommitHooks: ((t: Transaction) => void)[] })
        ._afterCommitHooks) {
        hook(transaction);
      }
      group.forEach((item, i) => {
        const o = outcomes[i];
        if (!o.ok) return item.reject(o.error);
        try {
          item.afterCommit?.(o.value);
        } finally {
          item.resolve(o.value);
        }
      });
    };
    if (!this.walSync) return settle();
    // Not awaited: the next group runs while the pool syncs this one's frames.
    this.walSync.sync().then(settle, (err: unknown) => {
      const error = new Error(`the commit could not be made durable (WAL sync): ${(err as Error).message}`, {
        cause: err,
      });
      group.forEach((item, i) =>
        item.reject(outcomes[i].ok ? error : (outcomes[i] as { error: unknown }).error),
      );
    });
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
    void lazyBegin;
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

  /** Opens the transaction now (model code is about to write on the raw connection). */
  async begin(): Promise<void> {
    if (this.began) return;
    this.began = true;
    await this.base.run(this.beginStatement);
  }

  /** The first statement carries the BEGIN in the same round trip. */
  private prefix(text: string): string {
    if (this.began) return text;
    this.began = true;
    return `${this.beginStatement};\n${text}`;
  }

  all<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
    return this.base.all<T>(this.prefix(text), params);
  }

  run(text: string, params?: readonly unknown[]) {
    return this.base.run(this.prefix(text), params);
  }

  async batch(
    statements: readonly Statement[],
    options: { commit?: boolean } = {},
  ): Promise<RunResult[] | void> {
    const all: Statement[] = [];
    const begins = !this.began && (statements.length > 0 || options.commit === true);
    if (begins) {
      all.push({ sql: this.beginStatement, params: [] });
      this.began = true;
    }
    all.push(...statements);
    if (options.commit && this.began) all.push({ sql: 'COMMIT', params: [] });
    if (all.length === 0) return [];
    const results = await this.base.batch(all);
    if (options.commit) this.committed = true;
    return results ? results.slice(begins ? 1 : 0, (begins ? 1 : 0) + statements.length) : results;
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
