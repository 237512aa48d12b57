import BetterSqlite3 from 'better-sqlite3';

/** Options for the SQLite driver handed to Sequelize as `dialectModule`. */
export interface SqliteDriverOptions {
  /** PRAGMA statements run on every new connection (they are per connection in SQLite). */
  pragmas: string[];
  /** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY (ms). */
  busyTimeoutMs?: number;
}

type Callback = (this: RunContext, err: Error | null, rows?: unknown[]) => void;
interface RunContext {
  lastID: number;
  changes: number;
}

const OPEN_READONLY = 0x00000001;
const OPEN_READWRITE = 0x00000002;
const OPEN_CREATE = 0x00000004;

/**
 * The `sqlite3` (node-sqlite3) API that Sequelize's SQLite dialect uses, implemented on better-sqlite3.
 *
 * node-sqlite3 runs every statement on the libuv thread pool: each statement costs a thread hop and a
 * wait for the event loop to pick up its callback, which made a round trip about 0.3 ms under load and
 * was most of the engine's time per command (docs/adr/0003). better-sqlite3 runs a statement in a few
 * microseconds on the calling thread. Callbacks still come asynchronously, in call order, so Sequelize
 * and the engine see the same behaviour as with node-sqlite3.
 *
 * Waiting for a lock must not block the thread (the holder may be this very process, waiting for its
 * next turn of the event loop), so SQLite's busy handler is off and a statement that meets SQLITE_BUSY is
 * retried from a timer, while later statements on the same connection wait their turn behind it.
 */
export function createSqliteDriver(options: SqliteDriverOptions): object {
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;

  class Database {
    private readonly db: BetterSqlite3.Database;
    private readonly statements = new Map<string, Prepared>();
    private readonly queue: Operation[] = [];
    private retryTimer: NodeJS.Timeout | null = null;
    private open = true;

    constructor(filename: string, mode?: number | Callback, callback?: Callback) {
      const cb = typeof mode === 'function' ? mode : callback;
      const flags = typeof mode === 'number' ? mode : OPEN_READWRITE | OPEN_CREATE;
      let error: Error | null = null;
      try {
        this.db = new BetterSqlite3(filename, {
          readonly: (flags & OPEN_READONLY) !== 0 && (flags & OPEN_READWRITE) === 0,
          fileMustExist: (flags & OPEN_CREATE) === 0 && filename !== ':memory:',
        });
        this.db.pragma('busy_timeout = 0');
        for (const p of options.pragmas) this.db.pragma(p);
      } catch (e) {
        error = e as Error;
        this.db = undefined as unknown as BetterSqlite3.Database;
      }
      if (cb) queueMicrotask(() => cb.call(noResult, error));
    }

    /** node-sqlite3 runs statements in call order when serialized; these always are. */
    serialize(fn?: () => void): void {
      fn?.();
    }

    parallelize(fn?: () => void): void {
      fn?.();
    }

    run(sql: string, ...args: unknown[]): this {
      const { params, cb } = split(args);
      this.enqueue(() => {
        const prepared = this.prepare(sql);
        if (prepared === 'multi') {
          this.db.exec(sql);
          return { context: noResult, rows: undefined };
        }
        const { stmt, numbered } = prepared;
        if (stmt.reader) {
          stmt.all(...bind(numbered, params));
          return { context: noResult, rows: undefined };
        }
        const r = stmt.run(...bind(numbered, params));
        return { context: { lastID: Number(r.lastInsertRowid), changes: r.changes }, rows: undefined };
      }, cb);
      return this;
    }

    all(sql: string, ...args: unknown[]): this {
      const { params, cb } = split(args);
      this.enqueue(() => {
        const prepared = this.prepare(sql);
        if (prepared === 'multi') {
          this.db.exec(sql);
          return { context: noResult, rows: [] };
        }
        const { stmt, numbered } = prepared;
        if (stmt.reader) return { context: noResult, rows: stmt.all(...bind(numbered, params)) };
        const r = stmt.run(...bind(numbered, params));
        return { context: { lastID: Number(r.lastInsertRowid), changes: r.changes }, rows: [] };
      }, cb);
      return this;
    }

    get(sql: string, ...args: unknown[]): this {
      const { params, cb } = split(args);
      this.enqueue(
        () => {
          const prepared = this.prepare(sql);
          if (prepared === 'multi') throw new Error('get() takes one statement');
          const { stmt, numbered } = prepared;
          return { context: noResult, rows: stmt.reader ? [stmt.get(...bind(numbered, params))] : [] };
        },
        cb ? (err, rows) => cb.call(noResult, err, rows?.[0] as unknown[] | undefined) : undefined,
      );
      return this;
    }

    /**
     * Runs statements with their parameters in order as one operation (the engine's write batch): no
     * parameters are inlined into SQL text. A busy database resumes at the statement that met it.
     */
    runBatch(batch: readonly { sql: string; params: readonly unknown[] }[], cb?: Callback): this {
      let next = 0;
      this.enqueue(() => {
        for (; next < batch.length; next++) {
          const { sql, params } = batch[next];
          const prepared = this.prepare(sql);
          if (prepared === 'multi') this.db.exec(sql);
          else if (prepared.stmt.reader) prepared.stmt.all(...bind(prepared.numbered, params));
          else prepared.stmt.run(...bind(prepared.numbered, params));
        }
        return { context: noResult, rows: undefined };
      }, cb);
      return this;
    }

    exec(sql: string, cb?: Callback): this {
      this.enqueue(() => {
        this.db.exec(sql);
        return { context: noResult, rows: undefined };
      }, cb);
      return this;
    }

    close(cb?: (err: Error | null) => void): void {
      const finish = (): void => {
        let error: Error | null = null;
        if (this.open) {
          this.open = false;
          this.statements.clear();
          try {
            this.db?.close();
          } catch (e) {
            error = e as Error;
          }
        }
        if (cb) queueMicrotask(() => cb(error));
      };
      if (this.queue.length === 0) finish();
      else this.queue.push({ attempt: () => (finish(), { context: noResult, rows: undefined }), started: 0 });
    }

    private prepare(sql: string): Prepared | 'multi' {
      let prepared = this.statements.get(sql);
      if (prepared) return prepared;
      try {
        prepared = { stmt: this.db.prepare(sql), numbered: /\$\d/.test(sql) };
      } catch (e) {
        if (/more than one statement/i.test((e as Error).message)) return 'multi';
        throw e;
      }
      if (this.statements.size >= 500) this.statements.delete(this.statements.keys().next().value as string);
      this.statements.set(sql, prepared);
      return prepared;
    }

    private enqueue(attempt: Operation['attempt'], cb?: Callback): void {
      this.queue.push({ attempt, cb, started: 0 });
      if (this.queue.length === 1 && !this.retryTimer) this.drain();
    }

    private drain(): void {
      this.retryTimer = null;
      while (this.queue.length > 0) {
        const op = this.queue[0];
        let outcome: { context: RunContext; rows: unknown[] | undefined } | undefined;
        let error: Error | null = null;
        try {
          if (!this.open) throw new Error('SQLITE_MISUSE: Database is closed');
          outcome = op.attempt();
        } catch (e) {
          const err = e as Error & { code?: string };
          if (typeof err.code === 'string' && err.code.startsWith('SQLITE_BUSY')) {
            const now = Date.now();
            op.started ||= now;
            if (now - op.started < busyTimeoutMs) {
              // Another connection holds the write lock: try again shortly, without blocking the thread.
              this.retryTimer = setTimeout(() => this.drain(), Math.min(50, 1 + (now - op.started) / 10));
              return;
            }
          }
          error = withMessagePrefix(err);
        }
        this.queue.shift();
        const cb = op.cb;
        if (cb) {
          const context = outcome?.context ?? noResult;
          const rows = outcome?.rows;
          queueMicrotask(() => cb.call(context, error, rows));
        }
      }
    }
  }

  const driver = { Database, OPEN_READONLY, OPEN_READWRITE, OPEN_CREATE, verbose: (): unknown => driver };
  return driver;
}

/** A prepared statement, and whether its parameters are `$1`-style (bound by number, as named). */
interface Prepared {
  stmt: BetterSqlite3.Statement;
  numbered: boolean;
}

interface Operation {
  attempt: () => { context: RunContext; rows: unknown[] | undefined };
  cb?: Callback;
  /** When the first attempt met a busy database (ms since epoch), 0 before. */
  started: number;
}

const noResult: RunContext = { lastID: 0, changes: 0 };

function split(args: unknown[]): { params: unknown; cb?: Callback } {
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    return { params: args.length > 1 ? args[0] : undefined, cb: last as Callback };
  }
  return { params: args[0] };
}

/** node-sqlite3 parameters to better-sqlite3's: `$1`-style names bind by number, booleans and dates as SQLite stores them. */
function bind(numbered: boolean, params: unknown): unknown[] {
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) {
    const values = params.map(value);
    if (values.length > 0 && numbered) {
      const named: Record<string, unknown> = {};
      values.forEach((v, i) => (named[String(i + 1)] = v));
      return [named];
    }
    return values;
  }
  if (typeof params === 'object') {
    const named: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params as Record<string, unknown>))
      named[k.replace(/^[$:@]/, '')] = value(v);
    return [named];
  }
  return [value(params)];
}

function value(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', ' +00:00');
  return v;
}

/** node-sqlite3 puts the code in front of the message (`SQLITE_CONSTRAINT: UNIQUE constraint failed…`). */
function withMessagePrefix(err: Error & { code?: string }): Error {
  if (err.code && !err.message.startsWith(err.code)) {
    try {
      err.message = `${err.code}: ${err.message}`;
    } catch {
      // read-only message: leave it
    }
  }
  return err;
}
