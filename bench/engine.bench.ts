/**
 * Engine benchmark (`npm run bench:engine`): runs the six-step flow (start → service task → exclusive gateway →
 * user task → service task → end) N times through the port, with in-process job workers and a driver that
 * completes user tasks as they appear, and prints instances/s, commands/s and per-command latency next to
 * the raw single-row commit rate of the same database measured in the same run. Then it fills the database
 * with instances waiting at the user task and prints the RSS at 0, 10 000 and 50 000 waiting.
 *
 * Options (environment): BENCH_INSTANCES (default 3000), BENCH_CONCURRENCY (in-flight instance starts,
 * default 4), BENCH_WORKER_JOBS (jobs each worker holds at once, default 4), BENCH_WAITING (comma list, default "0,10000,50000"), DATABASE_URL (MySQL instead of SQLite),
 * SQLITE_SYNCHRONOUS (FULL, the default, or NORMAL). Run with `node --expose-gc` for stable RSS figures
 * (the npm script does).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Sequelize } from 'sequelize';
import { systemClock } from '../common/clock.ts';
import { openDatabase } from '../db/connection.ts';
import { migrate } from '../db/migrator.ts';
import { EmbeddedEngine } from '../engine/embedded/embedded-engine.ts';
import { TransactionRunner } from '../engine/embedded/transactions.ts';
import { complete, createJobWorker } from '../engine/job-worker.ts';
import type { WorkflowEngine } from '../engine/port.ts';
import { type DatabaseTarget, databaseTarget, loadConfig } from '../server/config.ts';

const config = loadConfig();
const N = Number(process.env.BENCH_INSTANCES ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const WORKER_JOBS = Number(process.env.BENCH_WORKER_JOBS ?? 4);
const WAITING = (process.env.BENCH_WAITING ?? '0,10000,50000').split(',').map(Number);
const BPMN = readFileSync(path.join(import.meta.dirname, 'six-step.bpmn'), 'utf8');

/** Latency samples per command name. */
const samples = new Map<string, number[]>();

function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  return fn().finally(() => {
    let list = samples.get(name);
    if (!list) samples.set(name, (list = []));
    list.push(performance.now() - start);
  });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function freshDatabase(): Promise<{
  sequelize: Sequelize;
  target: DatabaseTarget;
  cleanup: () => Promise<void>;
}> {
  const target = databaseTarget(config);
  if (target.dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'gridflow-bench-'));
    const t: DatabaseTarget = { ...target, storage: path.join(dir, 'bench.sqlite') };
    const sequelize = openDatabase({ target: t });
    await migrate(sequelize);
    return { sequelize, target: t, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `gf_bench_${Date.now().toString(36)}`;
  const admin = new Sequelize(target.url, { dialect: 'mysql', logging: false });
  await admin.query(`CREATE DATABASE \`${name}\``);
  const url = new URL(target.url);
  url.pathname = `/${name}`;
  const t: DatabaseTarget = { ...target, url: url.toString(), poolMax: Math.max(target.poolMax, 32) };
  const sequelize = openDatabase({ target: t });
  await migrate(sequelize);
  return {
    sequelize,
    target: t,
    cleanup: async () => {
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.close();
    },
  };
}

/** Single-row commits through the engine's own transaction path, sequential and (MySQL) 8 at a time. */
async function rawCommitRate(
  sequelize: Sequelize,
  dialect: 'sqlite' | 'mysql',
  parallel: number,
): Promise<number> {
  await sequelize.query('CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER PRIMARY KEY, v VARCHAR(64))');
  const runner = new TransactionRunner(sequelize, dialect);
  let id = parallel * 1_000_000;
  const until = performance.now() + 2000;
  let commits = 0;
  const one = async (): Promise<void> => {
    while (performance.now() < until) {
      await runner.run(({ sql }) => sql.run('INSERT INTO bench_commit (id, v) VALUES (?, ?)', [++id, 'x']));
      commits++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: parallel }, one));
  return commits / ((performance.now() - start) / 1000);
}

function rssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
}

/** Runs `count` instances; resolves with the seconds until the last one finished (workers' shutdown excluded). */
async function runFlow(
  engine: WorkflowEngine,
  count: number,
  options: { completeTasks: boolean },
): Promise<number> {
  const started = performance.now();
  let finished = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const target = count;
  const check = (): void => {
    if (finished >= target) resolveDone();
  };

  const unsubscribe = engine.subscribe((events) => {
    for (const e of events) {
      if (options.completeTasks && e.intent === 'USER_TASK_CREATED') {
        const userTaskKey = String(e.payload.userTaskKey);
        void timed('completeUserTask', () =>
          engine.completeUserTask({ userTaskKey, variables: { handled: true }, actor: 'bench' }),
        );
      }
      if (e.intent === 'PROCESS_INSTANCE_COMPLETED') {
        finished++;
        check();
      }
      if (!options.completeTasks && e.intent === 'USER_TASK_CREATED') {
        finished++;
        check();
      }
    }
  });

  const workers = [
    createJobWorker(engine, {
      type: 'classify',
      worker: 'bench-classify',
      timeoutMs: 60_000,
      maxJobsActive: WORKER_JOBS,
      handler: async (job) => complete({ urgency: Number(job.variables.n) % 2 === 0 ? 'high' : 'normal' }),
    }),
    createJobWorker(engine, {
      type: 'notify',
      worker: 'bench-notify',
      timeoutMs: 60_000,
      maxJobsActive: WORKER_JOBS,
      handler: async () => complete(),
    }),
  ];

  let next = 0;
  const starter = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      await timed('createProcessInstance', () =>
        engine.createProcessInstance({ bpmnProcessId: 'six-step', variables: { n } }),
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, starter));
  await done;
  const seconds = (performance.now() - started) / 1000;
  unsubscribe();
  await Promise.all(workers.map((w) => w.close()));
  return seconds;
}

/** Times the port calls the job workers make by wrapping the engine. */
function instrument(engine: EmbeddedEngine): WorkflowEngine {
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'completeJob' || prop === 'activateJobs') {
        return (arg: unknown) =>
          prop === 'activateJobs'
            ? (value as (a: unknown) => Promise<unknown>).call(target, arg)
            : timed(String(prop), () => (value as (a: unknown) => Promise<unknown>).call(target, arg));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

async function main(): Promise<void> {
  const { sequelize, target, cleanup } = await freshDatabase();
  const dialect = target.dialect;
  const durability = dialect === 'sqlite' ? `WAL, synchronous=${target.synchronous}` : 'InnoDB defaults';
  console.log(
    `Gridflow engine benchmark — ${dialect} (${durability}), ${N} instances, ${CONCURRENCY} starts in flight`,
  );
  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);

  const raw1 = await rawCommitRate(sequelize, dialect, 1);
  const raw8 = dialect === 'mysql' ? await rawCommitRate(sequelize, dialect, 8) : NaN;

  const engine = new EmbeddedEngine({ sequelize, clock: systemClock, schedulerIntervalMs: 1000 });
  await engine.start();
  await engine.deploy([{ name: 'six-step.bpmn', content: BPMN }]);
  const port = instrument(engine);

  // Warm-up: definitions parsed, FEEL compiled, connections open.
  await runFlow(port, 200, { completeTasks: true });
  samples.clear();

  const cpu0 = process.cpuUsage();
  const seconds = await runFlow(port, N, { completeTasks: true });
  const cpu = process.cpuUsage(cpu0);

  const all = [...samples.values()].flat();
  const commands = all.length;
  console.log('Throughput');
  console.log(
    `  instances/s        ${(N / seconds).toFixed(0)}   (${N} instances in ${seconds.toFixed(2)} s)`,
  );
  console.log(
    `  commands/s         ${(commands / seconds).toFixed(0)}   (${commands} port commands: start, 2 job completions, 1 task completion per instance; activations not counted)`,
  );
  console.log(
    `  raw commits/s      ${raw1.toFixed(0)}   (one single-row INSERT per transaction, 1 connection${dialect === 'mysql' ? `; ${raw8.toFixed(0)} with 8 connections` : ''})`,
  );
  console.log(
    `  engine / raw       ${((commands / seconds / raw1) * 100).toFixed(0)} % of the single-connection commit rate${dialect === 'mysql' ? `, ${((commands / seconds / raw8) * 100).toFixed(0)} % of the 8-connection rate` : ''}`,
  );
  console.log(
    `  CPU of this process ${((cpu.user + cpu.system) / 1000 / N).toFixed(2)} ms per instance (user ${(cpu.user / 1000 / N).toFixed(2)}, system ${(cpu.system / 1000 / N).toFixed(2)})`,
  );
  console.log('\nLatency per command (ms, measured at the port)');
  console.log('  command                    count     p50     p99     max');
  for (const [name, list] of samples) {
    console.log(
      `  ${name.padEnd(24)} ${String(list.length).padStart(7)} ${percentile(list, 50).toFixed(2).padStart(7)} ${percentile(list, 99).toFixed(2).padStart(7)} ${Math.max(
        ...list,
      )
        .toFixed(2)
        .padStart(7)}`,
    );
  }
  console.log(
    `  ${'all'.padEnd(24)} ${String(all.length).padStart(7)} ${percentile(all, 50).toFixed(2).padStart(7)} ${percentile(all, 99).toFixed(2).padStart(7)}`,
  );

  console.log('\nMemory with instances waiting at the user task (state lives in rows)');
  let waiting = 0;
  for (const target of WAITING) {
    if (target > waiting) {
      const took = await runFlow(port, target - waiting, { completeTasks: false });
      console.log(`  (filled ${target - waiting} in ${took.toFixed(1)} s)`);
      waiting = target;
    }
    await new Promise((r) => setTimeout(r, 200));
    console.log(
      `  ${String(target).padStart(6)} waiting   RSS ${rssMb().toFixed(0)} MB   heap ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MB`,
    );
  }

  await engine.stop();
  await sequelize.close();
  await cleanup();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
