import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import { maskingReplacer } from '../common/mask.ts';
import { ApiRouter } from './http/api-router.ts';
import { compress } from './http/compress.ts';
import type { HttpDeps } from './http/deps.ts';
import { openApiDocument } from './http/openapi.ts';
import { notFoundHandler, problemHandler } from './http/problem.ts';
import { requestLog } from './http/request-log.ts';
import { webRoutes } from './http/web.ts';
import { attachmentRoutes } from './http/routes/attachment.routes.ts';
import { authRoutes } from './http/routes/auth.routes.ts';
import { caseRoutes } from './http/routes/case.routes.ts';
import { processRoutes } from './http/routes/process.routes.ts';
import { referenceRoutes } from './http/routes/reference.routes.ts';
import { taskRoutes } from './http/routes/task.routes.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Where the app finds what is not in its dependencies. */
export interface AppOptions {
  /** The built web app; default dist/web (tests serve a build of their own). */
  webDistDir?: string;
}

/** The Express application: the API under /api, health, and the web app. */
export function createApp(deps: HttpDeps, options: AppOptions = {}): Express {
  // ADR 0006: the case loop's hot routes answer on Node's server before Express sees the request.
  const api = new ApiRouter(deps);
  taskRoutes(deps, api);
  caseRoutes(deps, api);

  const app = express();
  // `app(req, res)` (what `app.listen` and `http.createServer(app)` call) enters through `app.handle`
  // (Express 5, lib/express.js): the API router goes first there, so every caller keeps taking the app.
  type Handle = (req: IncomingMessage, res: ServerResponse, next?: unknown) => void;
  const entry = app as unknown as { handle: Handle };
  const expressHandle = entry.handle.bind(app);
  entry.handle = (req, res, next) => {
    if (!api.handle(req, res)) expressHandle(req, res, next);
  };
  app.locals.apiRoutes = api.list();
  app.disable('x-powered-by');
  // Phone numbers in free text go out masked from every JSON answer, as the API router masks its own.
  app.set('json replacer', maskingReplacer);
  app.use(requestLog(deps.log));
  // Before every route, so that API JSON and the web app's assets alike go out gzipped when asked.
  app.use(compress());
  app.use(express.json({ limit: '2mb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', ...deps.info });
  });
  const openApi = openApiDocument({ version: VERSION });
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use(authRoutes(deps));
  app.use(attachmentRoutes(deps));
  app.use(processRoutes(deps));
  app.use(referenceRoutes(deps));

  // The web app (built into dist/web by `npm run build:web`; `npm start` builds it when it is stale).
  app.use(webRoutes({ distDir: options.webDistDir ?? path.join(import.meta.dirname, '..', 'dist', 'web') }));

  app.use(notFoundHandler);
  app.use(problemHandler(deps.log));
  return app;
}
