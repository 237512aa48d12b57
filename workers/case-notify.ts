import { z } from 'zod';
import { complete } from '../engine/job-worker.ts';
import { type Audience, queueNotification } from '../server/services/notification.service.ts';
import { defineWorker } from './define-worker.ts';
import type { WorkerDeps } from './deps.ts';

const AUDIENCES: Audience[] = ['supervisors', 'leaders', 'handlers', 'reporter'];

/** Queues a notification (headers `template`, `audience`); SMS and app push go out from the outbox. */
export function caseNotifyWorker(deps: WorkerDeps) {
  return defineWorker({
    type: 'case-notify',
    input: z.object({
      caseId: z.number().int(),
      caseNo: z.string().optional(),
      cityCentreId: z.number().int(),
      townId: z.number().int().nullish(),
      handlerUnitId: z.number().int().nullish(),
      supervisedCount: z.number().int().min(0).optional(),
    }),
    timeoutMs: 30_000,
    handler: async (input, job) => {
      const audience = job.headers.audience as Audience;
      if (!AUDIENCES.includes(audience)) {
        throw new Error(
          `case-notify at ${job.elementId} has no valid "audience" header (got "${job.headers.audience}")`,
        );
      }
      const template = job.headers.template || 'notice';
      const notification = {
        idempotencyKey: `job:${job.key}`,
        caseId: input.caseId,
        template,
        audience,
        scope: {
          cityCentreId: input.cityCentreId,
          townId: input.townId ?? null,
          handlerUnitId: input.handlerUnitId ?? null,
        },
        payload: { caseNo: input.caseNo ?? null, element: job.elementId },
        at: deps.clock.now(),
      };
      // 督办数: an overdue notice to the supervisors counts as one supervision. The message is queued in the
      // completion's transaction: queued exactly when the process moves on.
      return complete(
        template === 'overdue' && audience === 'supervisors'
          ? { supervisedCount: (input.supervisedCount ?? 0) + 1 }
          : {},
        async ({ sql }) => {
          await queueNotification(deps.sequelize, deps.models, notification, sql);
        },
      );
    },
  });
}
