import { Router } from 'express';
import type { HttpDeps } from '../deps.ts';

/** Process definitions (list, versions, XML, lint, deploy) and incidents (list, retry). */
export function processRoutes(_deps: HttpDeps): Router {
  return Router();
}
