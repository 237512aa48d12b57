import { type DestinationStream, pino, type Logger } from 'pino';
import { maskText, maskTextIn } from './mask.ts';

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

/**
 * Creates the one structured logger of a process; components take `log.child({ scope })`. Besides the
 * redacted paths, phone numbers in any text of a line (the message, a field, an error's message and stack)
 * are masked as the API masks them. `destination` is for tests; the default is stdout.
 */
export function createLogger(level: string = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      base: undefined,
      serializers: { err: (e: Error) => masked(pino.stdSerializers.err(e)) },
      formatters: { log: (line) => masked(line) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? maskText(a) : a)) as typeof args);
        },
      },
    },
    destination,
  );
}

/** A log line's fields with phone numbers masked; a line JSON cannot write (a cycle) goes as it is. */
function masked<T>(value: T): T {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return value;
  }
  return json === undefined ? value : maskTextIn(value, json);
}

/** A logger that writes nothing: the default in tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
