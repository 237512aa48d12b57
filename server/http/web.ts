import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Response, Router } from 'express';

/** Where the built web app is. */
export interface WebRouteOptions {
  /** The Vite build output (`dist/web`): index.html and the hashed files under assets/. */
  distDir: string;
}

/** A year: the hashed files under /assets never change under the same name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const NOT_BUILT =
  '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>Gridflow</title>' +
  '<h1>Gridflow 网格化社会治理平台</h1><p>网页端尚未构建。The web app is not built yet: run ' +
  '<code>npm run build:web</code> (<code>npm start</code> does it when needed). The API is at /api.</p></html>';

const securityHeaders = (res: Response): void => {
  res.set({
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  });
};

/**
 * Serves the built single-page app: hashed assets with a long cache, other static files (favicon) revalidated,
 * and `index.html` (never cached, so a new build is picked up at once) for every other GET that is not the API,
 * so that client-side routes like /tasks/42 load on reload. Paths with a file extension that do not exist, and
 * everything under /api, fall through to the 404 problem. Mount it before the not-found handler.
 */
export function webRoutes(options: WebRouteOptions): Router {
  const router = Router();
  const dist = path.resolve(options.distDir);
  const index = path.join(dist, 'index.html');

  router.use(
    '/assets',
    express.static(path.join(dist, 'assets'), {
      index: false,
      fallthrough: true,
      setHeaders: (res) => {
        securityHeaders(res);
        res.setHeader('Cache-Control', IMMUTABLE);
      },
    }),
  );
  router.use(
    express.static(dist, {
      index: false,
      setHeaders: (res) => {
        securityHeaders(res);
        res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );

  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/api' || req.path.startsWith('/api/') || req.path === '/health') return next();
    if (req.path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(req.path)) return next();
    securityHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    if (!existsSync(index)) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.sendFile(index, { cacheControl: false }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });
  return router;
}
