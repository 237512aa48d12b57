import type { CaseAttributes } from '../db/models/case.model.ts';
import { rowsOf } from '../db/row-store.ts';
import { complete } from '../engine/job-worker.ts';
import { StageInputSchema, recordStage, stageOfAction } from '../server/services/case-stage.service.ts';
import { autoRoute } from '../server/services/routing.service.ts';
import { defineWorker } from './define-worker.ts';
import type { WorkerDeps } from './deps.ts';

/**
 * 自动分拨: route by category and territory when the rule is certain, else leave it to the dispatcher.
 *
 * A certain route is the action that enters the next stage (ADR 0005, amended): the task's header
 * `stage.<kind of unit>` names it (`stage.department` → handling, `stage.town` → dispatched), and the stage is
 * recorded with the completion, in its transaction, as a user task's action records its stage. Without such a
 * header the worker only decides, and the diagram records the stage with a `case-stage` task of its own.
 */
export function caseRouteWorker(deps: WorkerDeps) {
  return defineWorker({
    type: 'case-route',
    // The stage's inputs (case, counters, city centre) besides the case id: the worker may record one.
    input: StageInputSchema,
    timeoutMs: 30_000,
    handler: async (input, job) => {
      const c = await rowsOf<CaseAttributes>(deps.models.Case).get(input.caseId);
      const route = c ? await autoRoute(deps.models, { categoryId: c.categoryId, townId: c.townId }) : null;
      if (!route) return complete({ autoRouteUnitId: null });
      const routed = {
        autoRouteUnitId: route.unitId,
        dispatchUnitId: route.unitId,
        dispatchUnitKind: route.kind,
        ...(route.kind === 'department' ? { handlerUnitId: route.unitId } : {}),
      };
      const stage = stageOfAction(job.headers, route.kind);
      if (!stage) return complete(routed);
      // In the completion's transaction: the case's stage and the process moving on commit together.
      return complete(routed, ({ sql }) =>
        recordStage(deps.models, stage, { ...input, ...routed }, deps.clock.now(), deps.settings, sql),
      );
    },
  });
}
