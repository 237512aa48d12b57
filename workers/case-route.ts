import { z } from 'zod';
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
      const row = await deps.models.Case.findByPk(caseId);
      const route = row
        ? await autoRoute(deps.models, {
            categoryId: row.get('categoryId') as number | null,
            townId: row.get('townId') as number | null,
          })
        : null;
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
