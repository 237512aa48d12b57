import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { ms, printTable } from './stats.ts';

/**
 * A V8 CPU profile of this thread (the server's), sampled every 250 µs, from now until `stopTo` writes it
 * (`--cpu-profile FILE`; `bench/profile-summary.ts` prints where its time went). The profiler costs the
 * thread a few per cent: compare profiles with profiles, not with plain runs.
 */
export async function startProfiler(): Promise<{ stopTo(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  return {
    async stopTo(file) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(file, JSON.stringify(profile));
      console.log(`  CPU profile of the timed run written to ${file}`);
    },
  };
}

interface StatementTime {
  count: number;
  us: number;
}

/**
 * Every SQLite statement's time on the thread, by its SQL text (`--sql-timing`, SQLite only): better-sqlite3's
 * `run`/`all`/`get`/`iterate` and `exec` are wrapped for the life of the process, and count between `start`
 * and `stop`. The wrapper adds about a microsecond to each statement.
 */
export class SqlTiming {
  private readonly times = new Map<string, StatementTime>();
  private on = false;

  constructor() {
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const probe = new Database(':memory:');
    const statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
    probe.close();
    const record = this.record.bind(this);
    for (const name of ['run', 'all', 'get', 'iterate']) {
      const original = statement[name] as (this: BetterSqlite3.Statement, ...a: unknown[]) => unknown;
      statement[name] = function (this: BetterSqlite3.Statement, ...a: unknown[]): unknown {
        const t0 = process.hrtime.bigint();
        try {
          return original.apply(this, a);
        } finally {
          record(this.source, t0);
        }
      };
    }
    const database = Database.prototype as unknown as Record<string, unknown>;
    const exec = database.exec as (this: BetterSqlite3.Database, sql: string) => unknown;
    database.exec = function (this: BetterSqlite3.Database, sql: string): unknown {
      const t0 = process.hrtime.bigint();
      try {
        return exec.call(this, sql);
      } finally {
        record(sql, t0);
      }
    };
  }

  start(): void {
    this.times.clear();
    this.on = true;
  }

  stop(): void {
    this.on = false;
  }

  /** Prints the statements between `start` and `stop` and their time per case, and the `top` by time. */
  print(cases: number, top = 25): void {
    const rows = [...this.times].sort((a, b) => b[1].us - a[1].us);
    const count = rows.reduce((n, [, t]) => n + t.count, 0);
    const us = rows.reduce((n, [, t]) => n + t.us, 0);
    console.log(
      `\n  SQLite statements on the server's thread: ${(count / cases).toFixed(1)} per case, ${ms(us / 1000 / cases, 2)} ms per case`,
    );
    printTable(
      ['statement', 'per case', 'µs each', 'ms per case'],
      rows
        .slice(0, top)
        .map(([sql, t]) => [
          sql.replace(/\s+/g, ' ').slice(0, 100),
          ms(t.count / cases, 2),
          ms(t.us / t.count),
          ms(t.us / 1000 / cases, 2),
        ]),
      '    ',
    );
  }

  private record(sql: string, t0: bigint): void {
    if (!this.on) return;
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    const key = sql.length > 300 ? sql.slice(0, 300) : sql;
    const t = this.times.get(key);
    if (t) {
      t.count++;
      t.us += us;
    } else this.times.set(key, { count: 1, us });
  }
}
