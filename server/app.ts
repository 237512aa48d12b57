import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
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

/** The Express application: the API under /api, health, and the web app. */
export function createApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(deps.log));
  app.use(express.json({ limit: '2mb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', ...deps.info });
  });
  const openApi = openApiDocument({ version: VERSION });
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use(authRoutes(deps));
  app.use(caseRoutes(deps));
  app.use(taskRoutes(deps));
  app.use(attachmentRoutes(deps));
  app.use(processRoutes(deps));
  app.use(referenceRoutes(deps));

  // The web app (built into dist/web by `npm run build:web`; `npm start` builds it when it is stale).
  app.use(webRoutes({ distDir: path.join(import.meta.dirname, '..', 'dist', 'web') }));

  app.use(notFoundHandler);
  app.use(problemHandler(deps.log));
  return app;
}
