import type { RequestHandler } from 'express';
import type { Logger } from '../../common/logger.ts';
import { maskPersonalData } from '../../common/mask.ts';

/**
 * One log line per API request once it is answered: method, path with the query (phone numbers masked:
 * a search may carry one), status, duration and who asked. Bodies are never logged.
 */
export function requestLog(log: Logger): RequestHandler {
  const http = log.child({ scope: 'http' });
  return (req, res, next) => {
    if (!http.isLevelEnabled('info')) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      if (!req.originalUrl.startsWith('/api/')) return;
      logRequest(http, req.method, req.originalUrl, res.statusCode, started, req.principal?.username);
    });
    next();
  };
}

/** The request's log line: the URL with phone numbers masked, the time since `started` (hrtime) in ms. */
export function logRequest(
  http: Logger,
  method: string,
  url: string,
  status: number,
  started: bigint,
  user: string | undefined,
): void {
  http.info(
    {
      method,
      url: maskPersonalData(url),
      status,
      ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      user,
    },
    'request',
  );
}
