import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import type { Sequelize } from 'sequelize';
import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logger.ts';
import { defineModels, type Models } from '../db/models/index.ts';
import { type SeedSummary, seedDemo } from '../db/seed/demo-seed.ts';
import { EmbeddedEngine } from '../engine/embedded/embedded-engine.ts';
import type { DeployResource } from '../engine/port.ts';
import { createWorkers } from '../workers/index.ts';
import { startWorkers } from '../workers/runner.ts';
import { AppPushStub } from './adapters/app-push.stub.ts';
import { SmsGatewayStub } from './adapters/sms-gateway.stub.ts';
import { type AppOptions, createApp } from './app.ts';
import type { CaseSettings, OutboxSettings } from './config.ts';
import { auditExporter } from './exporters/audit.exporter.ts';
import { CaseKeys } from './exporters/case-keys.ts';
import { taskProjectionExporter } from './exporters/task-projection.exporter.ts';
import { OutboxDispatcher } from './services/outbox-dispatcher.ts';

const PROCESSES = path.join(import.meta.dirname, '..', 'processes');

/** The BPMN and form files shipped in processes/: deployed at every start (identical ones are no-ops). */
export function shippedResources(): DeployResource[] {
  const files: string[] = [];
  for (const dir of [PROCESSES, path.join(PROCESSES, 'forms')]) {
    try {
      for (const f of readdirSync(dir)) if (/\.(bpmn|form)$/.test(f)) files.push(path.join(dir, f));
    } catch {
      // A folder that does not exist ships nothing.
    }
  }
  return files.map((f) => ({ name: path.basename(f), content: readFileSync(f, 'utf8') }));
}

/** How to start the system on a migrated database. */
export interface SystemOptions {
  sequelize: Sequelize;
  clock: Clock;
  log: Logger;
  /** Attachments live under it. */
  dataDir: string;
  settings: CaseSettings;
  /** The engine's scheduler period (ms); 0 leaves timers to `engine.runScheduler` (tests). */
  schedulerIntervalMs: number;
  /** The demo seed's options (a cheap password hash in tests and benchmarks). */
  seed?: Parameters<typeof seedDemo>[1];
  /** false: deploy, but run no engine scheduler, workers or outbox (a process that only serves reads). */
  run?: boolean;
  /** The notification sender; false: none (tests that look at the outbox rows themselves). */
  outbox?: OutboxSettings | false;
  /** Names the workers in the logs and in the jobs they hold. */
  workerTag?: string;
  app?: AppOptions;
}

/** A started system: what the callers look into, and how to stop it (the database stays open). */
export interface System {
  models: Models;
  engine: EmbeddedEngine;
  app: Express;
  seed: SeedSummary;
  stop(): Promise<void>;
}

/**
 * Gridflow on a migrated database, wired once for `npm start` (server/main.ts), the case benchmark and the
 * case tests: models and the demo seed, the embedded engine with the task-projection and audit exporters, the
 * shipped processes, every job worker, the notification sender with its stubs (nothing leaves the process:
 * server/adapters/README.md), and the Express app (not listening: the caller decides where).
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const { sequelize, clock, log } = options;
  const dialect = sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
  const models = defineModels(sequelize);
  const seed = await seedDemo(models, options.seed);
  const engine = new EmbeddedEngine({
    sequelize,
    clock,
    log,
    schedulerIntervalMs: options.schedulerIntervalMs,
  });
  const caseKeys = new CaseKeys();
  // The audit log first: its read of the chain heads then finds no projection writes waiting to go out
  // ahead of it (the exporters' writes go out with the COMMIT), one round trip fewer per command on MySQL.
  engine.addExporter(auditExporter(caseKeys, dialect));
  engine.addExporter(taskProjectionExporter(caseKeys, dialect));
  const resources = shippedResources();
  if (resources.length > 0) await engine.deploy(resources, { actor: 'system' });
  const run = options.run ?? true;
  let workers: { close(): Promise<void> } | undefined;
  let outbox: OutboxDispatcher | undefined;
  if (run) {
    await engine.start();
    workers = startWorkers(
      engine,
      createWorkers({ sequelize, models, clock, log, settings: options.settings }),
      log,
      options.workerTag,
    );
    if (options.outbox) {
      outbox = new OutboxDispatcher({
        sequelize,
        clock,
        log,
        channels: { sms: new SmsGatewayStub({ log }), app: new AppPushStub({ log }) },
        ...options.outbox,
      });
      outbox.start();
    }
  }
  const app = createApp(
    {
      sequelize,
      models,
      engine,
      clock,
      log,
      settings: options.settings,
      dataDir: options.dataDir,
      info: { engine: 'embedded', database: dialect },
    },
    options.app,
  );
  return {
    models,
    engine,
    app,
    seed,
    async stop() {
      if (outbox) await outbox.stop();
      if (workers) await workers.close();
      if (run) await engine.stop();
    },
  };
}
