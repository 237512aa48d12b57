import path from 'node:path';
import { z } from 'zod';

/**
 * The whole configuration of a Gridflow process. This file is the only reader of `process.env`:
 * everything else receives its slice as options, so tests build configurations from literals.
 */
const ConfigSchema = z.object({
  /** HTTP port of the API and the web app. */
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Where the SQLite file and the uploaded attachments live. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** `mysql://user:pass@host:port/db` (or `sqlite:/path/file.sqlite`); empty means SQLite under DATA_DIR. */
  DATABASE_URL: z.string().default(''),
  /** `embedded` runs our own engine on the application database; `camunda` talks to a Camunda 8 cluster. */
  ENGINE: z.enum(['embedded', 'camunda']).default('embedded'),
  /** SQLite durability: FULL survives a power loss, NORMAL may lose the last commits then (never on a crash). */
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  /** Connections in the MySQL pool. */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How often the engine scheduler looks for due timers, timed-out jobs and expired messages (ms). */
  ENGINE_SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
  /** 合并: an open case of the same 小类 within this many metres is a duplicate… */
  CASE_DUPLICATE_RADIUS_M: z.coerce.number().min(0).max(10_000).default(250),
  /** …if it was reported within this many hours. */
  CASE_DUPLICATE_WINDOW_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 90)
    .default(72),
  /** 回退: after this many returns the city centre decides (审定). */
  CASE_BOUNCE_LIMIT: z.coerce.number().int().min(1).max(10).default(2),
  /** How often the notification outbox is polled for messages to send (ms); 0 turns the sender off. */
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(0).default(2000),
  /** Send attempts per message before it is marked failed. */
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** Back-off after the first failed attempt (ms); it doubles with each further failure, up to an hour. */
  OUTBOX_RETRY_BASE_MS: z.coerce.number().int().min(0).default(30_000),
});

/** The case-workflow settings the workers need. */
export interface CaseSettings {
  duplicateRadiusM: number;
  duplicateWindowHours: number;
  bounceLimit: number;
}

/** The workers' slice of the configuration. */
export function caseSettings(config: Config): CaseSettings {
  return {
    duplicateRadiusM: config.CASE_DUPLICATE_RADIUS_M,
    duplicateWindowHours: config.CASE_DUPLICATE_WINDOW_HOURS,
    bounceLimit: config.CASE_BOUNCE_LIMIT,
  };
}

/** The notification outbox sender's settings. */
export interface OutboxSettings {
  pollIntervalMs: number;
  maxAttempts: number;
  retryBaseMs: number;
}

/** The outbox sender's slice of the configuration. */
export function outboxSettings(config: Config): OutboxSettings {
  return {
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    retryBaseMs: config.OUTBOX_RETRY_BASE_MS,
  };
}

/** Parsed configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** Where the database lives, derived from DATABASE_URL and DATA_DIR. */
export type DatabaseTarget =
  | { dialect: 'sqlite'; storage: string; synchronous: 'FULL' | 'NORMAL' }
  | { dialect: 'mysql'; url: string; poolMax: number };

/** Parses the environment once at start; throws with every invalid key named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Resolves the database target: MySQL when DATABASE_URL says so, otherwise the SQLite file under DATA_DIR. */
export function databaseTarget(config: Config): DatabaseTarget {
  const url = config.DATABASE_URL.trim();
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    return { dialect: 'mysql', url: url.replace(/^mariadb:/, 'mysql:'), poolMax: config.DB_POOL_MAX };
  }
  if (url.startsWith('sqlite:')) {
    return {
      dialect: 'sqlite',
      storage: url.slice('sqlite:'.length),
      synchronous: config.SQLITE_SYNCHRONOUS,
    };
  }
  if (url !== '') throw new Error(`Invalid configuration:\n  DATABASE_URL: unsupported scheme in "${url}"`);
  return {
    dialect: 'sqlite',
    storage: path.join(config.DATA_DIR, 'gridflow.sqlite'),
    synchronous: config.SQLITE_SYNCHRONOUS,
  };
}
