import { complete } from '../engine/job-worker.ts';
import { STAGES, type Stage, StageInputSchema, recordStage } from '../server/services/case-stage.service.ts';
import { defineWorker } from './define-worker.ts';
import type { WorkerDeps } from './deps.ts';

/** Records a stage change on the case and returns the stage's limits (header `stage`). */
export function caseStageWorker(deps: WorkerDeps) {
  return defineWorker({
    type: 'case-stage',
    input: StageInputSchema,
    timeoutMs: 30_000,
    handler: async (input, job) => {
      const stage = job.headers.stage as Stage;
      if (!STAGES.includes(stage)) {
        throw new Error(
          `case-stage at ${job.elementId} has no valid "stage" header (got "${job.headers.stage}")`,
        );
      }
      // In the completion's transaction: the case's stage and the process moving on commit together.
      return complete({}, ({ sql }) =>
        recordStage(deps.models, stage, input, deps.clock.now(), deps.settings, sql),
      );
    },
  });
}
