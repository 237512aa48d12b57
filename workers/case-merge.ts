import { z } from 'zod';
import { complete } from '../engine/job-worker.ts';
import { mergeCase } from '../server/services/case-accept.service.ts';
import { queueNotification } from '../server/services/notification.service.ts';
import { defineWorker } from './define-worker.ts';
import type { WorkerDeps } from './deps.ts';

/** 合并: link a duplicate to the case it repeats and tell its reporter. */
export function caseMergeWorker(deps: WorkerDeps) {
  return defineWorker({
    type: 'case-merge',
    input: z.object({
      caseId: z.number().int(),
      duplicateOf: z.number().int(),
      cityCentreId: z.number().int(),
    }),
    timeoutMs: 30_000,
    handler: async ({ caseId, duplicateOf, cityCentreId }, job) => {
      const now = deps.clock.now();
      // In the completion's transaction: the case is merged and its reporter told exactly when the process
      // moves on.
      return complete({}, async ({ sql }) => {
        await mergeCase(deps.models, caseId, duplicateOf, now, sql);
        await queueNotification(
          deps.sequelize,
          deps.models,
          {
            idempotencyKey: `job:${job.key}`,
            caseId,
            template: 'merged',
            audience: 'reporter',
            scope: { cityCentreId, townId: null, handlerUnitId: null },
            payload: { mergedInto: duplicateOf },
            at: now,
          },
          sql,
        );
      });
    },
  });
}
