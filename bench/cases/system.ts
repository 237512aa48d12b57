import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import argon2 from 'argon2';
import { type Clock, systemClock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { Models } from '../../db/models/index.ts';
import { DEMO_PASSWORD, type SeedSummary } from '../../db/seed/demo-seed.ts';
import { type CaseSettings, type Config, caseSettings, outboxSettings } from '../../server/config.ts';
import { startSystem as startGridflow } from '../../server/system.ts';
import type { EmbeddedEngine } from '../../engine/embedded/embedded-engine.ts';
import type { BenchDatabase } from './database.ts';

export { call } from './http-client.ts';

/** Gridflow as server/main.ts wires it, in this process, on a free port. */
export interface RunningSystem {
  baseUrl: string;
  models: Models;
  engine: EmbeddedEngine;
  seed: SeedSummary;
  clock: Clock;
  /** The case settings it runs with. */
  settings: CaseSettings;
  /** Signs a demo user in over HTTP; returns the headers that carry the session. */
  signIn(username: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * The demo password hashed with cheap argon2 parameters (as test/helpers/case-world.ts does; verify reads the
 * parameters from the hash), so that seeding and each sign-in cost milliseconds, not the production hash's
 * deliberate ~100 ms. Sign-ins happen once per user before anything is timed.
 */
export function cheapDemoHash(): Promise<string> {
  return argon2.hash(DEMO_PASSWORD, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 });
}

/**
 * Starts the system as server/main.ts does — models, demo seed, the embedded engine on the real clock with
 * its scheduler (ENGINE_SCHEDULER_INTERVAL_MS), the task-projection and audit exporters, the shipped
 * processes, every job worker, the outbox sender with its stubs, the Express app — and serves it on a
 * free port. `withEngine: false` serves
 * the API with an engine that is never started (the scale part only reads).
 */
export async function startSystem(
  db: BenchDatabase,
  config: Config,
  log: Logger,
  options: { withEngine: boolean } = { withEngine: true },
): Promise<RunningSystem> {
  const { sequelize } = db;
  const settings = caseSettings(config);
  const system = await startGridflow({
    sequelize,
    clock: systemClock,
    log,
    dataDir: db.dataDir,
    settings,
    schedulerIntervalMs: config.ENGINE_SCHEDULER_INTERVAL_MS,
    seed: { passwordHash: await cheapDemoHash() },
    run: options.withEngine,
    outbox: outboxSettings(config),
    workerTag: 'bench',
  });
  const { models, engine, app, seed: seeded } = system;
  const server: Server = app.listen(0, '127.0.0.1');
  // The drivers reuse keep-alive connections; a long query blocks the event loop (better-sqlite3 is
  // synchronous), and a server-side idle timeout firing late would then race the next request (ECONNRESET).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    models,
    engine,
    seed: seeded,
    clock: systemClock,
    settings,
    async signIn(username) {
      const res = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: DEMO_PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`sign-in of ${username}: ${res.status} ${await res.text()}`);
      const { token } = (await res.json()) as { token: string };
      return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await system.stop();
    },
  };
}
