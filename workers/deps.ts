import type { Sequelize } from 'sequelize';
import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logger.ts';
import type { Models } from '../db/models/index.ts';
import type { CaseSettings } from '../server/config.ts';

/** What workers get to do their job: handed in, never imported (createWorkers(deps)). */
export interface WorkerDeps {
  sequelize: Sequelize;
  models: Models;
  clock: Clock;
  log: Logger;
  settings: CaseSettings;
}
