import { z } from 'zod';
import type { CaseAttributes } from '../db/models/case.model.ts';
import { rowsOf } from '../db/row-store.ts';
import { complete } from '../engine/job-worker.ts';
import { autoRoute } from '../server/services/routing.service.ts';
import { defineWorker } from './define-worker.ts';
import type { WorkerDeps } from './deps.ts';

/** 自动分拨: route by category and territory when the rule is certain, else leave it to the dispatcher. */
export function caseRouteWorker(deps: WorkerDeps) {
  return defineWorker({
    type: 'case-route',
    input: z.object({ caseId: z.number().int() }),
    timeoutMs: 30_000,
    handler: async ({ caseId }) => {
      const c = await rowsOf<CaseAttributes>(deps.models.Case).get(caseId);
      const route = c ? await autoRoute(deps.models, { categoryId: c.categoryId, townId: c.townId }) : null;
      if (!route) return complete({ autoRouteUnitId: null });
      return complete({
        autoRouteUnitId: route.unitId,
        dispatchUnitId: route.unitId,
        dispatchUnitKind: route.kind,
        ...(route.kind === 'department' ? { handlerUnitId: route.unitId } : {}),
      });
    },
  });
}
