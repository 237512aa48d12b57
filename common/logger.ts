import { pino, type Logger } from 'pino';

/** Paths that carry personal data or secrets: never written to a log in clear. */
const REDACT = [
  'phone',
  '*.phone',
  '*.*.phone',
  'reporterPhone',
  '*.reporterPhone',
  'idNumber',
  '*.idNumber',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.cookie',
  'req.headers.authorization',
];

/** Creates the one structured logger of a process; components take `log.child({ scope })`. */
export function createLogger(level: string = 'info'): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined });
}

/** A logger that writes nothing: the default in tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
