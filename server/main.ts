import { systemClock } from '../common/clock.ts';
import { createLogger } from '../common/logger.ts';
import { openDatabase } from '../db/connection.ts';
import { migrate } from '../db/migrator.ts';
import { caseSettings, databaseTarget, loadConfig, outboxSettings } from './config.ts';
import { startSystem } from './system.ts';

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
  const system = await startSystem({
    sequelize,
    clock: systemClock,
    log,
    dataDir: config.DATA_DIR,
    settings: caseSettings(config),
    schedulerIntervalMs: config.ENGINE_SCHEDULER_INTERVAL_MS,
    outbox: outboxSettings(config),
  });
  log.info({ ...system.seed }, 'demo data ready');
  const { app } = system;
  const server = app.listen(config.PORT, () => {
    log.info({ port: config.PORT, database: target.dialect }, 'gridflow listening');
    console.log(`Gridflow is running at http://localhost:${config.PORT}`);
  });

  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    server.close();
    void system
      .stop()
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
