import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../common/clock.ts';
import { silentLogger } from '../../common/logger.ts';
import type { Models } from '../../db/models/index.ts';
import argon2 from 'argon2';
import { DEMO_PASSWORD, type SeedSummary } from '../../db/seed/demo-seed.ts';
import type { EmbeddedEngine } from '../../engine/embedded/embedded-engine.ts';
import type { UserTask, Variables } from '../../engine/port.ts';
import { type Actor, type CaseServiceDeps, createCase } from '../../server/services/case.service.ts';
import { type TaskServiceDeps, stageEntered } from '../../server/services/task.service.ts';
import { IntakeSchema } from '../../server/schemas/case.schema.ts';
import { startSystem } from '../../server/system.ts';
import { type TestDatabase, openTestDatabase } from './database.ts';

/** The demo password hashed once per test process with cheap argon2 parameters (verify reads them from the hash). */
let testHash: Promise<string> | undefined;
function demoPasswordHash(): Promise<string> {
  testHash ??= argon2.hash(DEMO_PASSWORD, {
    type: argon2.argon2id,
    memoryCost: 1024,
    timeCost: 1,
    parallelism: 1,
  });
  return testHash;
}

/** The whole case machinery on a fresh, seeded database: engine, exporters, workers, services, a manual clock. */
export interface CaseWorld {
  db: TestDatabase;
  models: Models;
  engine: EmbeddedEngine;
  clock: ManualClock;
  seed: SeedSummary;
  /** What the services take, as the app gets it. */
  deps: CaseServiceDeps & TaskServiceDeps;
  /** Waits until the workers have nothing left to do (every open job is done). */
  settle(): Promise<void>;
  /** The open user tasks of a case's instance. */
  openTasks(caseId: number): Promise<UserTask[]>;
  /** Completes the case's open task with this element id, as the API does (lastAction = action). */
  completeTask(
    caseId: number,
    elementId: string,
    action: string,
    variables?: Variables,
    actor?: string,
  ): Promise<UserTask>;
  /** Files a case as a channel would. */
  file(
    intake: Record<string, unknown>,
    actor?: Actor,
  ): Promise<{ id: number; caseNo: string; processInstanceKey: string }>;
  /** Moves the clock and runs the scheduler, then lets the workers settle. */
  advance(ms: number): Promise<void>;
  /** Serves the API on a free port; returns its base URL. */
  serve(): Promise<string>;
  /** Signs a demo user in over HTTP; returns fetch headers carrying the session. */
  signIn(username: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Creates a case world. */
export async function createCaseWorld(): Promise<CaseWorld> {
  const db = await openTestDatabase();
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 1, 0, 0));
  // Wired as npm start wires it (server/system.ts), with a manual clock whose timers the tests fire, and no
  // notification sender (tests read the outbox rows).
  const settings = { duplicateRadiusM: 250, duplicateWindowHours: 72, bounceLimit: 2 };
  const gridflow = await startSystem({
    sequelize: db.sequelize,
    clock,
    log: silentLogger,
    dataDir: db.dataDir,
    settings,
    schedulerIntervalMs: 0,
    seed: { passwordHash: await demoPasswordHash() },
    outbox: false,
    workerTag: 'test',
  });
  const { models, engine, seed } = gridflow;
  const deps = { sequelize: db.sequelize, models, engine, clock, settings };
  const system: Actor = { userId: null, username: 'hotline-gateway', orgUnitId: null };
  let server: Server | undefined;
  let baseUrl: Promise<string> | undefined;

  const settle = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const open = await db.sequelize.query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM engine_job WHERE state IN ('ACTIVATABLE', 'ACTIVATED')",
        { type: QueryTypes.SELECT },
      );
      if (Number(open[0].n) === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the workers did not settle');
  };

  const world: CaseWorld = {
    db,
    models,
    engine,
    clock,
    seed,
    deps,
    settle,
    async openTasks(caseId) {
      const row = await models.Case.findByPk(caseId);
      const result = await engine.searchUserTasks({
        filter: { processInstanceKey: String(row!.get('processInstanceKey')), state: 'CREATED' },
      });
      return result.items;
    },
    async completeTask(caseId, elementId, action, variables = {}, actor = 'tester') {
      await settle();
      const task = (await world.openTasks(caseId)).find((t) => t.elementId === elementId);
      if (!task) {
        const open = (await world.openTasks(caseId)).map((t) => t.elementId).join(', ');
        throw new Error(`case ${caseId} has no open task ${elementId} (open: ${open || 'none'})`);
      }
      // As the task service completes it (without its checks of who holds it and of the form): the stage
      // the action enters is recorded with the completion.
      await engine.completeUserTask({
        userTaskKey: task.userTaskKey,
        variables: { ...variables, lastAction: action },
        action,
        actor,
        within: stageEntered(deps, action),
      });
      await settle();
      return task;
    },
    async file(intake, actor = system) {
      const { case: c } = await createCase(deps, actor, IntakeSchema.parse(intake));
      await settle();
      return { id: c.id, caseNo: c.caseNo, processInstanceKey: String(c.processInstanceKey) };
    },
    async advance(ms) {
      clock.advance(ms);
      await engine.runScheduler();
      await settle();
    },
    serve() {
      // One server per world, even when several tests ask for it at once.
      baseUrl ??= (async () => {
        const { app } = gridflow;
        server = app.listen(0);
        await new Promise<void>((r) => server!.once('listening', () => r()));
        return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      })();
      return baseUrl;
    },
    async signIn(username) {
      const base = await world.serve();
      const res = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: DEMO_PASSWORD }),
      });
      if (res.status !== 200)
        throw new Error(`sign-in of ${username} failed: ${res.status} ${await res.text()}`);
      const { token } = (await res.json()) as { token: string };
      return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    },
    async close() {
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await gridflow.stop();
      await db.close();
    },
  };
  return world;
}
