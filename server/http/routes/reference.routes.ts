import { Router } from 'express';
import type { HttpDeps } from '../deps.ts';

/** Org units, grids (GeoJSON), categories and users. */
export function referenceRoutes(_deps: HttpDeps): Router {
  return Router();
}
