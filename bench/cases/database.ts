import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { QueryInterface, Sequelize } from 'sequelize';
import { Sequelize as SequelizeCtor } from 'sequelize';
import type { MigrationParams } from 'umzug';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../../db/connection.ts';
import { TransactionRunner } from '../../engine/embedded/transactions.ts';
import * as queryIndexes from '../../db/migrations/20261128-0006-query-indexes.ts';
import { createMigrator, migrate } from '../../db/migrator.ts';
import type { Config, DatabaseTarget } from '../../server/config.ts';
import { databaseTarget } from '../../server/config.ts';

const QUERY_INDEXES = '20261128-0006-query-indexes';

/** A fresh, migrated database of the configured kind, removed by cleanup(). */
export interface BenchDatabase {
  sequelize: Sequelize;
  dialect: 'sqlite' | 'mysql';
  target: DatabaseTarget;
  /** e.g. "sqlite (WAL, synchronous=FULL)" or "mysql gf_bench_123_e2e (MariaDB 10.11…)". */
  description: string;
  /** A temp directory for attachments. */
  dataDir: string;
  /** How migration 0006 (query indexes) got there: "migrator", "applied by the bench", "dropped". */
  queryIndexes: string;
  cleanup(): Promise<void>;
}

const pending = new Set<() => Promise<void>>();

/** Runs every cleanup not yet run (on SIGINT, or after a failure). */
export async function cleanupAll(): Promise<void> {
  for (const c of [...pending]) await c().catch(() => undefined);
}

/**
 * A fresh database: a temp SQLite file (synchronous as SQLITE_SYNCHRONOUS says, FULL by default) or, when
 * DATABASE_URL says MySQL, a new database `gf_bench_<pid>_<label>` on that server. Migrated. Migration 0006
 * (query indexes) is applied by the bench if db/migrator.ts does not list it yet, or dropped again with its
 * own down() when `withQueryIndexes` is false (to measure without it).
 */
export async function freshDatabase(
  config: Config,
  label: string,
  options: { withQueryIndexes: boolean },
): Promise<BenchDatabase> {
  const target = databaseTarget(config);
  const dir = mkdtempSync(path.join(tmpdir(), `gridflow-cases-${label}-`));
  const dataDir = path.join(dir, 'files');
  let db: Omit<BenchDatabase, 'queryIndexes'>;
  if (target.dialect === 'sqlite') {
    const t: DatabaseTarget = { ...target, storage: path.join(dir, 'bench.sqlite') };
    const sequelize = openDatabase({ target: t });
    db = {
      sequelize,
      dialect: 'sqlite',
      target: t,
      description: `SQLite (WAL, synchronous=${target.synchronous}) in ${dir}`,
      dataDir,
      cleanup: async () => {
        await sequelize.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } else {
    const name = `gf_bench_${process.pid}_${label}`;
    const admin = new SequelizeCtor(target.url, { dialect: 'mysql', logging: false });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [[version]] = (await admin.query('SELECT VERSION() AS v')) as [{ v: string }[], unknown];
    const url = new URL(target.url);
    url.pathname = `/${name}`;
    const t: DatabaseTarget = { ...target, url: url.toString() };
    const sequelize = openDatabase({ target: t });
    db = {
      sequelize,
      dialect: 'mysql',
      target: t,
      description: `MySQL ${version.v}, database ${name} (pool ${target.poolMax})`,
      dataDir,
      cleanup: async () => {
        await sequelize.close().catch(() => undefined);
        await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await admin.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const cleanup = db.cleanup;
  const once = async (): Promise<void> => {
    pending.delete(once);
    await cleanup();
  };
  pending.add(once);
  db.cleanup = once;

  await migrate(db.sequelize);
  const params = {
    context: db.sequelize.getQueryInterface(),
    name: QUERY_INDEXES,
  } as MigrationParams<QueryInterface>;
  const registered = (await createMigrator(db.sequelize).executed()).some((m) => m.name === QUERY_INDEXES);
  let how: string;
  if (options.withQueryIndexes) {
    if (!registered) await queryIndexes.up(params);
    how = registered
      ? 'applied by the migrator'
      : 'applied by the bench (db/migrator.ts does not list it yet)';
  } else {
    if (registered) await queryIndexes.down(params);
    how = 'left out (--without-query-indexes)';
  }
  return { ...db, queryIndexes: how };
}

/**
 * Single-row commits through the engine's own transaction path for 2 s, `parallel` at a time, as
 * bench/engine.bench.ts measures them: what the disk allows this run (it varies between runs on a shared VM).
 */
export async function rawCommitRate(db: BenchDatabase, parallel: number): Promise<number> {
  await db.sequelize.query('CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER PRIMARY KEY, v VARCHAR(64))');
  const runner = new TransactionRunner(db.sequelize, db.dialect);
  let id = parallel * 1_000_000;
  let commits = 0;
  const until = performance.now() + 2000;
  const one = async (): Promise<void> => {
    while (performance.now() < until) {
      await runner.run(({ sql }) => sql.run('INSERT INTO bench_commit (id, v) VALUES (?, ?)', [++id, 'x']));
      commits++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: parallel }, one));
  const rate = commits / ((performance.now() - start) / 1000);
  await db.sequelize.query('DROP TABLE bench_commit');
  return rate;
}
