import type { ErrorRequestHandler, RequestHandler } from 'express';
import { TransientError, UserError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { maskingReplacer } from '../../common/mask.ts';

/** RFC 9457 problem details, as every error response of the API carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  errors?: { field: string; message: string }[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Maps an error to a problem by its class (never by its message): one place decides every status. */
export function toProblem(err: unknown): Problem {
  if (err instanceof UserError) {
    return {
      type: `https://gridflow.example/problems/${err.code.toLowerCase().replace(/_/g, '-')}`,
      title: TITLES[err.status] ?? 'Error',
      status: err.status,
      detail: err.message,
      code: err.code,
      ...(err.errors ? { errors: err.errors } : {}),
    };
  }
  if (err instanceof TransientError) {
    return { type: 'about:blank', title: TITLES[503], status: 503, detail: err.message, code: err.code };
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed') {
    return {
      type: 'about:blank',
      title: TITLES[400],
      status: 400,
      detail: 'The request body is not valid JSON',
      code: 'INVALID_JSON',
    };
  }
  if (e?.type === 'entity.too.large') {
    return {
      type: 'about:blank',
      title: TITLES[413],
      status: 413,
      detail: 'The request body is too large',
      code: 'TOO_LARGE',
    };
  }
  return {
    type: 'about:blank',
    title: TITLES[500],
    status: 500,
    detail: 'An unexpected error occurred',
    code: 'UNEXPECTED',
  };
}

/** Logs a refused or failed request by the cause of its error: a bug as an error, transient as a warning, the rest at info. */
export function logProblem(log: Logger, err: unknown, problem: Problem, method: string, path: string): void {
  if (problem.status >= 500 && !(err instanceof TransientError)) {
    log.error({ err, method, path }, 'request failed');
  } else if (problem.status >= 500) {
    log.warn({ err, method, path }, 'request failed, transient');
  } else {
    log.info({ code: problem.code, status: problem.status, method, path }, 'request refused');
  }
}

/** The one error middleware: problem JSON out, logged by cause. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem = toProblem(err);
    logProblem(log, err, problem, req.method, req.path);
    res
      .status(problem.status)
      .type('application/problem+json')
      .send(JSON.stringify(problem, maskingReplacer));
  };
}

/** 404 for every route nobody handles. */
export const notFoundHandler: RequestHandler = (req, res) => {
  res
    .status(404)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: `No route for ${req.method} ${req.path}`,
        code: 'NO_ROUTE',
      } satisfies Problem),
    );
};
