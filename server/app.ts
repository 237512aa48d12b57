import express, { type Express } from 'express';
import type { Logger } from '../common/logger.ts';
import type { WorkflowEngine } from '../engine/port.ts';
import { notFoundHandler, problemHandler } from './http/problem.ts';

/** What the HTTP layer needs. */
export interface AppDeps {
  engine: WorkflowEngine;
  log: Logger;
  /** Shown by /health. */
  info: { engine: string; database: string };
}

/**
 * The Express application. The case API, authentication and the web app join here in later slices
 * (see the issues); today it serves health and the deployed process definitions.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '2mb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', ...deps.info });
  });

  app.get('/api/process-definitions', async (req, res) => {
    const bpmnProcessId = typeof req.query.bpmnProcessId === 'string' ? req.query.bpmnProcessId : undefined;
    res.json({ items: await deps.engine.listProcessDefinitions({ bpmnProcessId }) });
  });

  app.get('/', (_req, res) => {
    res
      .type('html')
      .send(
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>Gridflow 网格化社会治理</title>' +
          '<h1>Gridflow 网格化社会治理平台</h1><p>服务已启动。The service is running: <a href="/health">/health</a>.</p></html>',
      );
  });

  app.use(notFoundHandler);
  app.use(problemHandler(deps.log));
  return app;
}
