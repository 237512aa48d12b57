import type { Sequelize } from 'sequelize';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { Models } from '../../db/models/index.ts';
import type { WorkflowEngine } from '../../engine/port.ts';

/** What the HTTP layer is built from. */
export interface HttpDeps {
  sequelize: Sequelize;
  models: Models;
  engine: WorkflowEngine;
  clock: Clock;
  log: Logger;
  /** The case settings a task's completion reads when its action enters a stage (ADR 0005). */
  settings: { bounceLimit: number };
  /** Where attachments are stored. */
  dataDir: string;
  /** Shown by /health. */
  info: { engine: string; database: string };
}
