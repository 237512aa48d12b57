/**
 * Case benchmark (`npm run bench:cases`), two parts:
 *
 * 1. End to end: the real system in this process (migrations, demo seed, the embedded engine on the real
 *    clock with its scheduler and exporters, the shipped processes, every job worker, the Express app on a
 *    free port) on a fresh database. C drivers each file a hotline case over HTTP and walk it to closed as
 *    the demo users would (inbox → claim → complete with the form's variables). Prints closed cases/s and
 *    p50/p95 per API call.
 * 2. At scale: a fresh database bulk-loaded with a year of historical cases (default 1 000 000, with the
 *    completed tasks of their walks) and open cases with their open tasks (default 50 000), then the inbox
 *    and the case search measured through the service functions and over HTTP, next to the primary-key
 *    lookup of the same database.
 *
 * Options: --cases N (200), --concurrency C (16), --warmup N (16), --historical N (1 000 000),
 * --open-tasks N (50 000), --samples N per query (200), --budget S (seconds per query kind and way of
 * calling it, 10: a slower query gets fewer samples, at least 5), --no-history-tasks (skip the completed tasks of
 * historical cases), --without-query-indexes (drop migration 0006 to compare), --explain (print each
 * query's plan), --queries REGEX (only the query kinds whose name matches), --skip-e2e, --skip-scale,
 * --cpu-profile FILE (a V8 CPU profile of the server's thread over Part 1's timed run; summarise it with
 * `node --import=tsx bench/profile-summary.ts FILE`), --sql-timing (Part 1's SQLite statements on the
 * server's thread, timed by their SQL text, per case).
 * Environment: DATABASE_URL (MySQL/MariaDB: the bench creates and drops its own databases on that server),
 * SQLITE_SYNCHRONOUS, DB_POOL_MAX, ENGINE_SCHEDULER_INTERVAL_MS, LOG_LEVEL (default warn here).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger.ts';
import { loadConfig } from '../server/config.ts';
import { cleanupAll, freshDatabase, rawCommitRate } from './cases/database.ts';
import { runEndToEnd } from './cases/e2e.ts';
import { cpuReference } from './cases/cpu-reference.ts';
import { loopbackReference } from './cases/loopback-reference.ts';
import { runScale } from './cases/scale.ts';
import { startSystem } from './cases/system.ts';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '16' },
    historical: { type: 'string', default: '1000000' },
    'open-tasks': { type: 'string', default: '50000' },
    samples: { type: 'string', default: '200' },
    budget: { type: 'string', default: '10' },
    'no-history-tasks': { type: 'boolean', default: false },
    'without-query-indexes': { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
    queries: { type: 'string', default: '' },
    'skip-e2e': { type: 'boolean', default: false },
    'skip-scale': { type: 'boolean', default: false },
    'cpu-profile': { type: 'string', default: '' },
    'sql-timing': { type: 'boolean', default: false },
  },
  strict: true,
});

const count = (name: string, v: string | undefined): number => {
  const n = Number(String(v).replace(/[_ ]/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not "${v}"`);
  return n;
};

const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
const log = createLogger(config.LOG_LEVEL);

async function main(): Promise<void> {
  const started = Date.now();
  console.log(
    `Gridflow case benchmark — node ${process.version}, ${cpus().length} cores, ${new Date().toISOString()}`,
  );
  console.log(
    `CPU reference ${cpuReference()} (a fixed JSON and SHA-256 workload on this thread, best of 3: the machine's speed now; lower is faster)`,
  );
  console.log(
    `loopback reference ${await loopbackReference()} per HTTP round trip (2 000 in a row, both ends on this thread, best of 3: the system calls' speed now; lower is faster)`,
  );
  const withQueryIndexes = !args['without-query-indexes'];

  if (!args['skip-e2e']) {
    const db = await freshDatabase(config, 'e2e', { withQueryIndexes });
    const cases = count('cases', args.cases);
    const concurrency = Math.max(1, count('concurrency', args.concurrency));
    console.log(`\nPart 1 — end to end over HTTP: ${cases} hotline cases, ${concurrency} drivers`);
    console.log(`  ${db.description}; migration 0006 ${db.queryIndexes}`);
    console.log(
      `  scheduler every ${config.ENGINE_SCHEDULER_INTERVAL_MS} ms, real clock; warm-up ${count('warmup', args.warmup)} cases first (not counted)`,
    );
    console.log(
      '  path: intake → case-accept → register → case-route (certain: a city department) → handle → verify → close → callback → case-assess',
    );
    const raw1 = await rawCommitRate(db, 1);
    const raw8 = db.dialect === 'mysql' ? await rawCommitRate(db, 8) : NaN;
    console.log(
      `  raw commits/s ${raw1.toFixed(0)} (one single-row INSERT per transaction, 1 connection${db.dialect === 'mysql' ? `; ${raw8.toFixed(0)} with 8` : ''}; the disk's figure this run)`,
    );
    const sys = await startSystem(db, config, log);
    try {
      await runEndToEnd(sys, db.sequelize, {
        cases,
        concurrency,
        warmup: count('warmup', args.warmup),
        cpuProfile: args['cpu-profile'] || undefined,
        sqlTiming: args['sql-timing'] && db.dialect === 'sqlite',
      });
      console.log(
        `  CPU reference after the run ${cpuReference()}, loopback reference ${await loopbackReference()}`,
      );
    } finally {
      await sys.close();
      await db.cleanup();
    }
  }

  if (!args['skip-scale']) {
    const db = await freshDatabase(config, 'scale', { withQueryIndexes });
    console.log(
      `\nPart 2 — at scale: ${count('historical', args.historical)} historical cases, ${count('open-tasks', args['open-tasks'])} open tasks`,
    );
    console.log(`  ${db.description}; migration 0006 ${db.queryIndexes}`);
    try {
      await runScale(db, config, log, {
        historical: count('historical', args.historical),
        openTasks: count('open-tasks', args['open-tasks']),
        samples: Math.max(1, count('samples', args.samples)),
        historyTasks: !args['no-history-tasks'],
        explain: args.explain,
        only: args.queries ?? '',
        budgetMs: count('budget', args.budget) * 1000,
      });
    } finally {
      await db.cleanup();
    }
  }
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

process.on('SIGINT', () => {
  void cleanupAll().then(() => process.exit(130));
});

main()
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanupAll();
    process.exit(1);
  });
