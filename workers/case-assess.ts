import { z } from 'zod';
import { complete } from '../engine/job-worker.ts';
import { assessCase } from '../server/services/assessment.service.ts';
import { defineWorker } from './define-worker.ts';
import type { WorkerDeps } from './deps.ts';

const count = z.number().int().min(0).optional();

/** 考核: write the case's assessment facts as it ends. */
export function caseAssessWorker(deps: WorkerDeps) {
  return defineWorker({
    type: 'case-assess',
    input: z.object({
      caseId: z.number().int(),
      returnCount: count,
      reworkCount: count,
      reopenCount: count,
      extensionCount: count,
      supervisedCount: count,
      satisfaction: z.string().nullish(),
    }),
    timeoutMs: 30_000,
    // In the completion's transaction: the assessment facts and the case's end commit together.
    handler: async (input) =>
      complete({}, async ({ sql }) => {
        await assessCase(deps.sequelize, deps.models, input, deps.clock.now(), sql);
      }),
  });
}
