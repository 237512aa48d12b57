import { Router } from 'express';
import type { HttpDeps } from '../deps.ts';

/** Attachments of a case: upload (size and type checked), list, download. */
export function attachmentRoutes(_deps: HttpDeps): Router {
  return Router();
}
