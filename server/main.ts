import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../common/clock.ts';
import { createLogger } from '../common/logger.ts';
import { openDatabase } from '../db/connection.ts';
import { migrate } from '../db/migrator.ts';
import { EmbeddedEngine } from '../engine/embedded/embedded-engine.ts';
import type { DeployResource } from '../engine/port.ts';
import { defineModels } from '../db/models/index.ts';
import { seedDemo } from '../db/seed/demo-seed.ts';
import { createWorkers } from '../workers/index.ts';
import { startWorkers } from '../workers/runner.ts';
import { createApp } from './app.ts';
import { AppPushStub } from './adapters/app-push.stub.ts';
import { SmsGatewayStub } from './adapters/sms-gateway.stub.ts';
import { caseSettings, databaseTarget, loadConfig, outboxSettings } from './config.ts';
import { CaseKeys } from './exporters/case-keys.ts';
import { auditExporter } from './exporters/audit.exporter.ts';
import { taskProjectionExporter } from './exporters/task-projection.exporter.ts';
import { OutboxDispatcher } from './services/outbox-dispatcher.ts';

const PROCESSES = path.join(import.meta.dirname, '..', 'processes');

/** The BPMN and form files shipped in processes/: deployed at every start (identical ones are no-ops). */
function shippedResources(): DeployResource[] {
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

/** Starts Gridflow: database, migrations, engine, shipped processes, HTTP. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const target = databaseTarget(config);
  if (config.ENGINE !== 'embedded') {
    throw new Error('ENGINE=camunda: the Camunda 8 adapter is not built yet; use ENGINE=embedded');
  }
  const sequelize = openDatabase({ target });
  await migrate(sequelize);
  const models = defineModels(sequelize);
  const seeded = await seedDemo(models);
  log.info({ ...seeded }, 'demo data ready');
  const engine = new EmbeddedEngine({
    sequelize,
    clock: systemClock,
    log,
    schedulerIntervalMs: config.ENGINE_SCHEDULER_INTERVAL_MS,
  });
  const caseKeys = new CaseKeys();
  engine.addExporter(taskProjectionExporter(caseKeys, target.dialect));
  engine.addExporter(auditExporter(caseKeys, target.dialect));
  const resources = shippedResources();
  if (resources.length > 0) await engine.deploy(resources, { actor: 'system' });
  await engine.start();
  const workers = startWorkers(
    engine,
    createWorkers({ sequelize, models, clock: systemClock, log, settings: caseSettings(config) }),
    log,
  );
  // Only stubs exist for the SMS gateway and the push service (server/adapters/README.md).
  const outbox = new OutboxDispatcher({
    sequelize,
    clock: systemClock,
    log,
    channels: { sms: new SmsGatewayStub({ log }), app: new AppPushStub({ log }) },
    ...outboxSettings(config),
  });
  outbox.start();

  const app = createApp({
    sequelize,
    models,
    engine,
    clock: systemClock,
    log,
    dataDir: config.DATA_DIR,
    info: { engine: 'embedded', database: target.dialect },
  });
  const server = app.listen(config.PORT, () => {
    log.info({ port: config.PORT, database: target.dialect }, 'gridflow listening');
    console.log(`Gridflow is running at http://localhost:${config.PORT}`);
  });

  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    server.close();
    void outbox
      .stop()
      .then(() => workers.close())
      .then(() => engine.stop())
      .then(() => sequelize.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
