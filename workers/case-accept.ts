import { z } from 'zod';
import { acceptCase } from '../server/services/case-accept.service.ts';
import { addWorkingMinutes, warningAt } from '../server/services/deadline.ts';
import { complete } from '../engine/job-worker.ts';
import { defineWorker } from './define-worker.ts';
import type { WorkerDeps } from './deps.ts';

/** 受理: locate the case, look for a duplicate. */
export function caseAcceptWorker(deps: WorkerDeps) {
  return defineWorker({
    type: 'case-accept',
    input: z.object({ caseId: z.number().int() }),
    timeoutMs: 30_000,
    // In the completion's transaction: the located case and the process moving on commit together.
    handler: async ({ caseId }) =>
      complete({}, async ({ sql }) => {
        const found = await acceptCase(deps.sequelize, deps.models, caseId, deps.settings, sql);
        // 受理时限: registration is due within the category's accept limit (10 working minutes by default).
        const now = deps.clock.now();
        return {
          ...found,
          stageDueAt: new Date(addWorkingMinutes(now, found.acceptLimitMin)).toISOString(),
          stageWarnAt: new Date(warningAt(now, found.acceptLimitMin)).toISOString(),
        };
      }),
  });
}
