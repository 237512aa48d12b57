import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { InvalidArgumentError, UnauthorizedError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { maskTextIn } from '../../common/mask.ts';
import { type Principal, authenticate } from '../services/auth.service.ts';
import { tokenOf } from './auth.middleware.ts';
import type { HttpDeps } from './deps.ts';
import { logProblem, toProblem } from './problem.ts';
import { logRequest } from './request-log.ts';

/** A request as an API route sees it. */
export interface ApiRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The query string as Express 5's simple parser gives it: a repeated key is an array. */
  query: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
  /** The parsed JSON body, or undefined when the request has none or is not JSON. */
  body: unknown;
  headers: IncomingHttpHeaders;
  /** The signed-in user, on routes that require one. */
  principal?: Principal;
}

/** What a route answers with. */
export type ApiResult = { status: number; json?: unknown; headers?: Record<string, string> };

/** A route's handler: the answer, or a thrown error (mapped to problem JSON in one place, as in Express). */
export type ApiHandler = (req: ApiRequest) => Promise<ApiResult>;

interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  names: string[];
  auth: boolean;
  handler: ApiHandler;
}

/** The JSON body limit, as `express.json({ limit: '2mb' })` had it. */
const BODY_LIMIT = 2 * 1024 * 1024;
/** JSON of this size or more goes out compressed when the client accepts it (compression's threshold). */
const COMPRESS_FROM = 1024;

/** A body-parser-shaped error, so that `toProblem` maps it as it maps Express's (400, 413). */
const bodyError = (type: 'entity.parse.failed' | 'entity.too.large'): Error =>
  Object.assign(new Error(type), { type });

/**
 * The API's hot routes on Node's HTTP server (ADR 0006): a route is a method, a path with `:params`, whether
 * it needs a session, and a handler that returns status and JSON. Express costs a request about 90 µs of the
 * server's thread before any route runs, `compression` ~35 more; a case is about 17 requests. What the routes
 * need from a framework is here and nothing else: params, Express 5's query parsing, the JSON body with its
 * limit and problems, the session, problem JSON for errors (`toProblem`, as `problemHandler` logs it), JSON
 * compressed from 1 KiB when accepted, and the request log line. A request no route takes goes on to Express
 * (the rest of the API, the web app, file transfers, the 404).
 */
export class ApiRouter {
  private readonly routes: Route[] = [];
  private readonly http: Logger;

  constructor(private readonly deps: HttpDeps) {
    this.http = deps.log.child({ scope: 'http' });
  }

  get(path: string, options: { auth: boolean }, handler: ApiHandler): void {
    this.add('GET', path, options, handler);
  }

  post(path: string, options: { auth: boolean }, handler: ApiHandler): void {
    this.add('POST', path, options, handler);
  }

  /** `method path` of every route, for the OpenAPI test. */
  list(): string[] {
    return this.routes.map((r) => `${r.method.toLowerCase()} ${r.path}`);
  }

  private add(method: string, path: string, options: { auth: boolean }, handler: ApiHandler): void {
    const names: string[] = [];
    const source = path
      .split('/')
      .map((part) => {
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(part.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({
      method,
      path,
      pattern: new RegExp(`^${source}/?$`, 'i'),
      names,
      auth: options.auth,
      handler,
    });
  }

  /** Answers the request when a route takes it; false sends it on. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    // Case-insensitive, as Express routes by default.
    if (!/^\/api\//i.test(path)) return false;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      let params: Record<string, string>;
      try {
        params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      } catch {
        return false; // a malformed escape: Express answers it as it did
      }
      void this.run(route, req, res, path, q < 0 ? '' : url.slice(q + 1), params);
      return true;
    }
    return false;
  }

  private async run(
    route: Route,
    raw: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
    params: Record<string, string>,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    const request: ApiRequest = {
      method: raw.method ?? 'GET',
      path,
      query: query ? (parseQuery(query) as ApiRequest['query']) : {},
      params,
      body: undefined,
      headers: raw.headers,
    };
    try {
      request.body = await readJson(raw);
      if (route.auth) {
        const token = tokenOf(raw);
        if (!token) throw new UnauthorizedError('NOT_SIGNED_IN', 'Sign in first');
        request.principal = await authenticate(this.deps, token);
      }
      const result = await route.handler(request);
      send(raw, res, result.status, result.json, 'application/json; charset=utf-8', result.headers);
    } catch (err) {
      const problem = toProblem(err);
      logProblem(this.deps.log, err, problem, request.method, path);
      if (!res.headersSent) send(raw, res, problem.status, problem, 'application/problem+json');
      else res.destroy();
    }
    if (this.http.isLevelEnabled('info')) {
      logRequest(
        this.http,
        request.method,
        raw.url ?? path,
        res.statusCode,
        started,
        request.principal?.username,
      );
    }
  }
}

/** The JSON body (`application/json` or `+json`), as `express.json` read it: undefined when there is none. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || !/^application\/([\w.-]+\+)?json\b/.test(type)) {
    req.resume();
    return undefined;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > BODY_LIMIT) {
    req.resume();
    throw bodyError('entity.too.large');
  }
  // Events, not `for await`: the async iterator costs a request tens of µs of promise machinery.
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= BODY_LIMIT) {
        chunks.push(chunk);
        return;
      }
      // Too large: the rest is read and dropped, so that the 413 reaches the client.
      req.off('data', onData);
      req.resume();
      reject(bodyError('entity.too.large'));
    };
    req.on('data', onData);
    req.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.once('error', reject);
    // A client gone before the end. 'close' also follows every 'end': the error (its stack trace costs
    // tens of µs) is made only when the body did not arrive whole.
    req.once('close', () => {
      if (!req.complete)
        reject(
          new InvalidArgumentError('REQUEST_ABORTED', 'The client closed the request before its body ended'),
        );
    });
  });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw bodyError('entity.parse.failed');
  }
}

/**
 * Writes a JSON answer with the phone numbers in its text masked, compressed from 1 KiB when the client
 * accepts Brotli or gzip.
 */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  type: string,
  extra: Record<string, string> = {},
): void {
  if (value === undefined) {
    res.writeHead(status, extra);
    res.end();
    return;
  }
  let body: string | Buffer = JSON.stringify(value);
  // Phone numbers in free text (a description, a note) go out masked, as the phone fields do.
  const masked = maskTextIn(value, body);
  if (masked !== value) body = JSON.stringify(masked);
  const headers: Record<string, string | number> = { ...extra, 'Content-Type': type };
  if (body.length >= COMPRESS_FROM) {
    headers.Vary = 'Accept-Encoding';
    const accepted = String(req.headers['accept-encoding'] ?? '');
    if (/\bbr\b/.test(accepted)) {
      body = brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } });
      headers['Content-Encoding'] = 'br';
    } else if (/\bgzip\b/.test(accepted)) {
      body = gzipSync(body);
      headers['Content-Encoding'] = 'gzip';
    }
  }
  headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(status, headers);
  res.end(body);
}
