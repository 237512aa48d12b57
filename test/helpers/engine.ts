import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../common/clock.ts';
import { EmbeddedEngine } from '../../engine/embedded/embedded-engine.ts';
import type { ActivatedJob, Variables } from '../../engine/port.ts';
import { type TestDatabase, openTestDatabase } from './database.ts';

/** An engine on a fresh database with a manual clock; the scheduler runs only when a test calls it. */
export interface TestEngine {
  engine: EmbeddedEngine;
  clock: ManualClock;
  db: TestDatabase;
  /** Deploys fixture files from test/engine/fixtures by base name. */
  deployFixture(...names: string[]): Promise<void>;
  /** Activates every open job of a type (no waiting). */
  jobs(type: string, worker?: string): Promise<ActivatedJob[]>;
  /** Activates exactly one job of a type and completes it with variables. */
  completeOne(type: string, variables?: Variables): Promise<ActivatedJob>;
  /** Advances the clock and runs the scheduler. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

const FIXTURES = path.join(import.meta.dirname, '..', 'engine', 'fixtures');

/** Reads a BPMN or form fixture. */
export function fixture(name: string): { name: string; content: string } {
  return { name, content: readFileSync(path.join(FIXTURES, name), 'utf8') };
}

/** Creates an engine for one test. */
export async function createTestEngine(): Promise<TestEngine> {
  const db = await openTestDatabase();
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 1, 0, 0));
  const engine = new EmbeddedEngine({ sequelize: db.sequelize, clock, schedulerIntervalMs: 0 });
  await engine.start();
  const t: TestEngine = {
    engine,
    clock,
    db,
    async deployFixture(...names) {
      await engine.deploy(names.map((n) => fixture(n.includes('.') ? n : `${n}.bpmn`)));
    },
    jobs: (type, worker = 'test-worker') =>
      engine.activateJobs({ type, worker, maxJobsToActivate: 100, timeout: 60_000 }),
    async completeOne(type, variables) {
      const jobs = await engine.activateJobs({
        type,
        worker: 'test-worker',
        maxJobsToActivate: 1,
        timeout: 60_000,
      });
      if (jobs.length !== 1) throw new Error(`expected one job of type ${type}, got ${jobs.length}`);
      await engine.completeJob({ jobKey: jobs[0].key, variables });
      return jobs[0];
    },
    async advance(ms) {
      clock.advance(ms);
      await engine.runScheduler();
    },
    async close() {
      await engine.stop();
      await db.close();
    },
  };
  return t;
}
